import Foundation

/// Smart HTTP(S) Git server on 127.0.0.1: `git http-backend` (CGI) behind a small Python web
/// server, with optional basic auth, bearer tokens, TLS from a test CA, and protocol v2 on or off.
///
/// The web server speaks HTTP/1.1 with keep-alive, decodes chunked request bodies, passes gzip
/// bodies to `http-backend` (which inflates them), and records every request (see
/// ``requests()``). Stopped by PID on ``stop()`` and on deinit.
public final class GitHTTPServer: @unchecked Sendable {
    /// How the server behaves.
    public struct Options: Sendable {
        /// Require these basic-auth credentials (401 with `WWW-Authenticate: Basic` otherwise).
        public var basicAuth: BasicCredentials?
        /// Also accept `Authorization: Bearer TOKEN`. Setting only a token requires the token.
        public var bearerToken: String?
        /// The realm in `WWW-Authenticate`.
        public var realm: String
        /// Serve HTTPS with a certificate from a new ``TestCertificateAuthority``.
        public var tls: Bool
        /// Pass the `Git-Protocol` header to `http-backend`; when false the server only speaks
        /// protocol v0, like servers without v2 support.
        public var protocolV2: Bool
        /// Allow pushes (`http.receivepack`).
        public var enableReceivePack: Bool

        /// Creates options; the defaults are plain HTTP, no auth, protocol v2 on, no push.
        public init(
            basicAuth: BasicCredentials? = nil, bearerToken: String? = nil,
            realm: String = "Sluice test", tls: Bool = false, protocolV2: Bool = true,
            enableReceivePack: Bool = false
        ) {
            self.basicAuth = basicAuth
            self.bearerToken = bearerToken
            self.realm = realm
            self.tls = tls
            self.protocolV2 = protocolV2
            self.enableReceivePack = enableReceivePack
        }
    }

    /// A username and password.
    public struct BasicCredentials: Sendable, Hashable {
        /// The username.
        public var username: String
        /// The password.
        public var password: String
        /// Creates credentials.
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    /// The directory whose repositories are served (`GIT_PROJECT_ROOT`).
    public let root: URL
    /// The TCP port on 127.0.0.1.
    public let port: UInt16
    /// The options the server was started with.
    public let options: Options
    /// The CA that issued the server's certificate (when `tls`); trust it to connect.
    public let certificateAuthority: TestCertificateAuthority?
    private let process: BackgroundProcess
    private let workDirectory: TemporaryDirectory
    private let ownedRoot: TemporaryDirectory?
    private let statsFile: URL

    private init(
        root: URL, port: UInt16, options: Options, certificateAuthority: TestCertificateAuthority?,
        process: BackgroundProcess, workDirectory: TemporaryDirectory,
        ownedRoot: TemporaryDirectory?, statsFile: URL
    ) {
        self.root = root
        self.port = port
        self.options = options
        self.certificateAuthority = certificateAuthority
        self.process = process
        self.workDirectory = workDirectory
        self.ownedRoot = ownedRoot
        self.statsFile = statsFile
    }

    deinit { stop() }

    /// Starts a server for the repositories under `root` (by default a new temporary directory,
    /// removed on deinit) and returns once it accepts connections.
    public static func start(root: URL? = nil, options: Options = Options()) async throws
        -> GitHTTPServer
    {
        let workDirectory = try TemporaryDirectory(label: "git-http")
        let ownedRoot = root == nil ? try TemporaryDirectory(label: "git-http-root") : nil
        guard let base = (root ?? ownedRoot?.url)?.resolvingSymlinksInPath() else {
            throw TestSupportError(.invalidArgument, "no root directory")
        }
        let statsFile = workDirectory.appending("requests.jsonl")
        var configuration: [String: Any] = [
            "projectRoot": base.path,
            "statsFile": statsFile.path,
            "git": try ProcessRunner.resolveExecutable("git"),
            "realm": options.realm,
            "protocolV2": options.protocolV2,
            "receivePack": options.enableReceivePack,
        ]
        if let basicAuth = options.basicAuth {
            configuration["username"] = basicAuth.username
            configuration["password"] = basicAuth.password
        }
        if let token = options.bearerToken { configuration["bearerToken"] = token }
        var authority: TestCertificateAuthority?
        if options.tls {
            let ca = try TestCertificateAuthority()
            let certificate = try ca.issueServerCertificate()
            configuration["certificate"] = certificate.certificatePath.path
            configuration["privateKey"] = certificate.privateKeyPath.path
            authority = ca
        }
        let (process, port) = try await PythonScript.launch(
            name: "git-http-server", source: script, configuration: configuration,
            in: workDirectory)
        return GitHTTPServer(
            root: base, port: port, options: options, certificateAuthority: authority,
            process: process, workDirectory: workDirectory, ownedRoot: ownedRoot,
            statsFile: statsFile)
    }

    /// `http` or `https`.
    public var scheme: String { options.tls ? "https" : "http" }

    /// `SCHEME://127.0.0.1:PORT`.
    public var baseURL: String { "\(scheme)://\(Loopback.host):\(port)" }

    /// The URL of repository `name` under ``root`` (`.git` appended when missing), optionally
    /// with percent-encoded credentials in the user-info part.
    public func url(for repositoryName: String, username: String? = nil, password: String? = nil)
        -> String
    {
        var userInfo = ""
        if let username {
            userInfo = Self.percentEncode(username)
            if let password { userInfo += ":" + Self.percentEncode(password) }
            userInfo += "@"
        }
        return "\(scheme)://\(userInfo)\(Loopback.host):\(port)/\(RepositoryName.withGitSuffix(repositoryName))"
    }

    /// The CA certificate to trust (PEM path), when the server uses TLS.
    public var caCertificatePath: URL? { certificateAuthority?.certificatePath }

    /// Creates an empty bare repository `NAME.git` under ``root``.
    public func createRepository(named name: String, defaultBranch: String = "main") throws
        -> BareRepository
    {
        try BareRepository(
            at: root.appendingPathComponent(RepositoryName.withGitSuffix(name)),
            defaultBranch: defaultBranch)
    }

    /// Every request answered since start (or the last ``resetStatistics()``), oldest first.
    /// A request's record is written before its last response bytes, so once a client has
    /// finished, its requests are all here.
    public func requests() throws -> [GitHTTPRequestRecord] {
        try PythonScript.readJSONLines(statsFile, as: GitHTTPRequestRecord.self)
    }

    /// Forgets the requests recorded so far.
    public func resetStatistics() {
        try? Data().write(to: statsFile)
    }

    /// The server's PID.
    public var pid: Int32 { process.pid }

    /// Whether the server is still running.
    public var isRunning: Bool { process.isRunning }

    /// The web server's access log and `http-backend`'s stderr.
    public func log() -> String { process.log() }

    /// Stops the server. Safe to call more than once.
    public func stop() { process.stop() }

    static func percentEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
