import Foundation

/// nginx on 127.0.0.1 speaking HTTP/2 over TLS (certificate from a test CA) to clients and
/// HTTP/1.1 to an HTTPS upstream, streaming responses unbuffered: puts an HTTP/2 front on a
/// server that speaks only HTTP/1.1 (LocalCluster), so clients' HTTP/2 paths are exercised.
/// Stopped by PID on ``stop()`` and on deinit.
public final class HTTP2Proxy: @unchecked Sendable {
    /// The TCP port on 127.0.0.1.
    public let port: UInt16
    /// The CA clients must trust for the proxy's certificate.
    public let authority: TestCertificateAuthority
    private let process: BackgroundProcess
    private let workDirectory: TemporaryDirectory

    private init(port: UInt16, authority: TestCertificateAuthority, process: BackgroundProcess, workDirectory: TemporaryDirectory) {
        self.port = port
        self.authority = authority
        self.process = process
        self.workDirectory = workDirectory
    }

    deinit { stop() }

    /// `https://127.0.0.1:PORT`.
    public var url: String { "https://\(Loopback.host):\(port)" }

    /// Starts nginx in front of `upstream` (an https URL whose certificate is not checked).
    public static func start(upstream: String) async throws -> HTTP2Proxy {
        let workDirectory = try TemporaryDirectory(label: "h2proxy")
        let authority = try TestCertificateAuthority(commonName: "Sluice HTTP2 proxy CA")
        let certificate = try authority.issueServerCertificate()
        let nginx = try ProcessRunner.resolveExecutable(
            FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx")
        let (process, port) = try await ServerStartup.launchOnFreePort(
            name: "nginx",
            launch: { port in
                let configuration = """
                    daemon off;
                    worker_processes 1;
                    pid \(workDirectory.appending("nginx.pid").path);
                    error_log \(workDirectory.appending("error.log").path) warn;
                    events { worker_connections 256; }
                    http {
                      access_log off;
                      client_body_temp_path \(workDirectory.path)/body;
                      proxy_temp_path \(workDirectory.path)/proxy;
                      fastcgi_temp_path \(workDirectory.path)/fastcgi;
                      uwsgi_temp_path \(workDirectory.path)/uwsgi;
                      scgi_temp_path \(workDirectory.path)/scgi;
                      server {
                        listen 127.0.0.1:\(port) ssl http2;
                        ssl_certificate \(certificate.certificatePath.path);
                        ssl_certificate_key \(certificate.privateKeyPath.path);
                        location / {
                          proxy_pass \(upstream);
                          proxy_http_version 1.1;
                          proxy_set_header Connection "";
                          proxy_buffering off;
                          proxy_request_buffering off;
                          proxy_read_timeout 3600s;
                        }
                      }
                    }
                    """
                let file = workDirectory.appending("nginx.conf")
                try Data(configuration.utf8).write(to: file)
                return try BackgroundProcess(nginx, ["-p", workDirectory.path, "-c", file.path, "-e", workDirectory.appending("error.log").path], logFile: workDirectory.appending("nginx.log"))
            },
            isReady: { port in
                guard let fd = try? Loopback.connect(port: port) else { return false }
                close(fd)
                return true
            })
        return HTTP2Proxy(port: port, authority: authority, process: process, workDirectory: workDirectory)
    }

    /// Stops nginx. Safe to call more than once.
    public func stop() { process.stop() }
}
