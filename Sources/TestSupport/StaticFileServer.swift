import Foundation

/// nginx on 127.0.0.1 with one worker, serving one file over plain HTTP/1.1: a peer for benchmarks
/// of an HTTP endpoint (the same bytes served by a server built for it). Stopped on ``stop()`` and
/// on deinit.
public final class StaticFileServer: @unchecked Sendable {
    /// The TCP port on 127.0.0.1.
    public let port: UInt16
    /// The worker process, which does the serving (its CPU and memory are the server's cost).
    public let workerPID: Int32
    private let process: BackgroundProcess
    private let workDirectory: TemporaryDirectory

    private init(port: UInt16, workerPID: Int32, process: BackgroundProcess, workDirectory: TemporaryDirectory) {
        self.port = port
        self.workerPID = workerPID
        self.process = process
        self.workDirectory = workDirectory
    }

    deinit { stop() }

    /// Starts nginx serving `body` at `/path` (`path` relative, e.g. `api/v1/apps`) as `application/json`.
    public static func start(body: Data, at path: String) async throws -> StaticFileServer {
        let workDirectory = try TemporaryDirectory(label: "static-nginx")
        let root = workDirectory.appending("www")
        let file = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try body.write(to: file)
        // nginx's worker runs as `nobody` when the tests run as root: let it read the tree.
        var directoryPath = file.deletingLastPathComponent()
        while directoryPath.path.hasPrefix(workDirectory.path) {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directoryPath.path)
            directoryPath = directoryPath.deletingLastPathComponent()
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        let nginx = try ProcessRunner.resolveExecutable(
            FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx")
        let directory = workDirectory.path
        let (process, port) = try await ServerStartup.launchOnFreePort(
            name: "nginx",
            launch: { port in
                let configuration = """
                    daemon off;
                    worker_processes 1;
                    pid \(directory)/nginx.pid;
                    error_log \(directory)/error.log warn;
                    events { worker_connections 4096; }
                    http {
                      access_log off;
                      default_type application/json;
                      client_body_temp_path \(directory)/body;
                      proxy_temp_path \(directory)/proxy;
                      fastcgi_temp_path \(directory)/fastcgi;
                      uwsgi_temp_path \(directory)/uwsgi;
                      scgi_temp_path \(directory)/scgi;
                      server {
                        listen 127.0.0.1:\(port) backlog=4096;
                        root \(root.path);
                      }
                    }
                    """
                let file = workDirectory.appending("nginx.conf")
                try Data(configuration.utf8).write(to: file)
                return try BackgroundProcess(
                    nginx, ["-p", directory, "-c", file.path, "-e", directory + "/error.log"], logFile: workDirectory.appending("nginx.log"))
            },
            isReady: { port in
                guard let fd = try? Loopback.connect(port: port) else { return false }
                close(fd)
                return true
            })
        // nginx's master forks the worker; find it among the master's children.
        var worker: Int32 = 0
        try await waitUntil(timeout: .seconds(30), "nginx's worker process") {
            let children = (try? String(contentsOfFile: "/proc/\(process.pid)/task/\(process.pid)/children", encoding: .utf8)) ?? ""
            worker = children.split(separator: " ").first.flatMap { Int32($0) } ?? 0
            return worker != 0
        }
        return StaticFileServer(port: port, workerPID: worker, process: process, workDirectory: workDirectory)
    }

    /// Stops nginx. Safe to call more than once.
    public func stop() { process.stop() }
}
