import Foundation

/// A Helm chart repository on 127.0.0.1: charts packaged with the real `helm package`, indexed with
/// `helm repo index`, served as static files over HTTP by Python's `http.server`, optionally behind
/// HTTP basic auth (401 without the right user and password). Stopped on ``stop()`` and on deinit;
/// ``restart()`` serves the same files on the same port again.
///
/// The port is held for the server's whole life (``Loopback/HeldPort``): while stopped it refuses
/// connections, and no other process can take it.
public final class ChartRepositoryServer: @unchecked Sendable {
    /// The TCP port on 127.0.0.1.
    public var port: UInt16 { held.port }
    /// The repository's files (`index.yaml` and the `.tgz` archives).
    public let directory: URL
    private var process: BackgroundProcess?
    private let held: Loopback.HeldPort
    private let workDirectory: TemporaryDirectory
    private let login: (user: String, password: String)?
    private let lock = NSLock()

    private init(directory: URL, held: Loopback.HeldPort, workDirectory: TemporaryDirectory, login: (user: String, password: String)?) {
        self.login = login
        self.held = held
        self.directory = directory
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
        let server = ChartRepositoryServer(directory: directory, held: try Loopback.heldPort(), workDirectory: workDirectory, login: login)
        try server.index()
        try await server.serve()
        return server
    }

    /// Runs `helm repo index` for the repository's URL (after adding or removing archives).
    public func index() throws {
        let indexed = try ProcessRunner.run("helm", ["repo", "index", directory.path, "--url", url])
        guard indexed.exitCode == 0 else { throw TestSupportError(.commandFailed, "helm repo index: \(indexed.errorOutput)") }
    }

    /// Stops serving: connections to the port are refused from now on. Safe to call more than once.
    public func stop() {
        lock.lock()
        let running = process
        process = nil
        lock.unlock()
        // The port refuses before the server goes, so no connection waits in a backlog nobody accepts.
        try? held.refuse()
        running?.stop()
    }

    /// Serves again on the same port.
    public func restart() async throws {
        stop()
        try await serve()
    }

    /// Serves the directory on the held socket (standard input); with USER and PASSWORD, answers 401
    /// to requests without them.
    static let script = #"""
        import base64, functools, http.server, socket, sys
        directory = sys.argv[1]
        expected = "Basic " + base64.b64encode(f"{sys.argv[2]}:{sys.argv[3]}".encode()).decode() if len(sys.argv) > 3 else None

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                if expected and self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="charts"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                super().do_GET()

        listening = socket.socket(fileno=sys.stdin.fileno())
        server = http.server.ThreadingHTTPServer(listening.getsockname(), functools.partial(Handler, directory=directory), bind_and_activate=False)
        server.socket.close()
        server.socket = listening
        server.server_name, server.server_port = "127.0.0.1", listening.getsockname()[1]
        print("serving", flush=True)
        server.serve_forever()
        """#

    /// Starts Python on the held port, and waits until it says it serves.
    private func serve() async throws {
        let python = try ProcessRunner.resolveExecutable("python3")
        let credentials = login.map { [$0.user, $0.password] } ?? []
        let socket = try held.listen()
        let started = try BackgroundProcess(
            python, ["-c", Self.script, directory.path] + credentials,
            environment: ["PYTHONDONTWRITEBYTECODE": "1"], standardInput: socket,
            logFile: workDirectory.appending("http-\(UUID().uuidString.prefix(8)).log"))
        lock.withLock { process = started }
        try await waitUntil(timeout: .seconds(30), "the chart repository serves on port \(port)") {
            guard started.isRunning else { throw TestSupportError(.serverFailed, "python3 -m http.server exited: \(started.log())") }
            return started.log().contains("serving")
        }
    }
}
