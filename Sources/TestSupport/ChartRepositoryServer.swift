import Foundation

/// A Helm chart repository on 127.0.0.1: charts packaged with the real `helm package`, indexed with
/// `helm repo index`, served as static files over HTTP by Python's `http.server`, optionally behind
/// HTTP basic auth (401 without the right user and password). Stopped on ``stop()`` and on deinit;
/// ``restart()`` serves the same files on the same port again.
public final class ChartRepositoryServer: @unchecked Sendable {
    /// The TCP port on 127.0.0.1.
    public let port: UInt16
    /// The repository's files (`index.yaml` and the `.tgz` archives).
    public let directory: URL
    private var process: BackgroundProcess
    private let workDirectory: TemporaryDirectory
    private let login: (user: String, password: String)?

    private init(
        port: UInt16, directory: URL, process: BackgroundProcess, workDirectory: TemporaryDirectory, login: (user: String, password: String)?
    ) {
        self.login = login
        self.port = port
        self.directory = directory
        self.process = process
        self.workDirectory = workDirectory
    }

    deinit { stop() }

    /// `http://127.0.0.1:PORT`: what a `Chart.yaml` dependency's `repository` names.
    public var url: String { "http://\(Loopback.host):\(port)" }

    /// Packages each chart directory (holding a `Chart.yaml`) into the repository, indexes it, and
    /// serves it; with `login`, only to requests with that user and password.
    public static func start(charts: [URL], login: (user: String, password: String)? = nil) async throws -> ChartRepositoryServer {
        let workDirectory = try TemporaryDirectory(label: "chart-repository")
        let directory = try workDirectory.makeSubdirectory("repository")
        for chart in charts {
            let packaged = try ProcessRunner.run("helm", ["package", chart.path, "--destination", directory.path])
            guard packaged.exitCode == 0 else { throw TestSupportError(.commandFailed, "helm package \(chart.path): \(packaged.errorOutput)") }
        }
        let (process, port) = try await launch(directory: directory, workDirectory: workDirectory, port: nil, login: login)
        let server = ChartRepositoryServer(port: port, directory: directory, process: process, workDirectory: workDirectory, login: login)
        try server.index()
        return server
    }

    /// Runs `helm repo index` for the repository's URL (after adding or removing archives).
    public func index() throws {
        let indexed = try ProcessRunner.run("helm", ["repo", "index", directory.path, "--url", url])
        guard indexed.exitCode == 0 else { throw TestSupportError(.commandFailed, "helm repo index: \(indexed.errorOutput)") }
    }

    /// Stops serving. Safe to call more than once.
    public func stop() { process.stop() }

    /// Serves again on the same port.
    public func restart() async throws {
        stop()
        process = try await Self.launch(directory: directory, workDirectory: workDirectory, port: port, login: login).process
    }

    /// Serves DIRECTORY on PORT; with USER and PASSWORD, answers 401 to requests without them.
    static let script = #"""
        import base64, functools, http.server, sys
        directory, port = sys.argv[1], int(sys.argv[2])
        expected = "Basic " + base64.b64encode(f"{sys.argv[3]}:{sys.argv[4]}".encode()).decode() if len(sys.argv) > 4 else None

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                if expected and self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="charts"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                super().do_GET()

        http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=directory)).serve_forever()
        """#

    private static func launch(
        directory: URL, workDirectory: TemporaryDirectory, port fixed: UInt16?, login: (user: String, password: String)?
    ) async throws -> (process: BackgroundProcess, port: UInt16) {
        let python = try ProcessRunner.resolveExecutable("python3")
        let credentials = login.map { [$0.user, $0.password] } ?? []
        @Sendable func start(_ port: UInt16) throws -> BackgroundProcess {
            try BackgroundProcess(
                python, ["-c", script, directory.path, "\(port)"] + credentials,
                environment: ["PYTHONDONTWRITEBYTECODE": "1"], logFile: workDirectory.appending("http-\(port).log"))
        }
        @Sendable func ready(_ port: UInt16) -> Bool {
            guard let fd = try? Loopback.connect(port: port) else { return false }
            close(fd)
            return true
        }
        if let fixed {
            let process = try start(fixed)
            try await waitUntil(timeout: .seconds(30), "the chart repository to serve again on port \(fixed)") {
                guard process.isRunning else { throw TestSupportError(.serverFailed, "python3 -m http.server exited: \(process.log())") }
                return ready(fixed)
            }
            return (process, fixed)
        }
        return try await ServerStartup.launchOnFreePort(name: "chart repository", launch: start, isReady: ready)
    }
}
