import Foundation

/// `git daemon` serving the bare repositories under `root` over git:// on 127.0.0.1.
///
/// Every repository under `root` is exported (`--export-all`); push (`receive-pack`) is enabled
/// on request. The daemon is stopped by PID on ``stop()`` and on deinit.
public final class GitDaemonServer: @unchecked Sendable {
    /// The directory whose repositories are served (`--base-path`).
    public let root: URL
    /// The TCP port on 127.0.0.1.
    public let port: UInt16
    private let process: BackgroundProcess
    private let workDirectory: TemporaryDirectory
    private let ownedRoot: TemporaryDirectory?

    private init(
        root: URL, port: UInt16, process: BackgroundProcess, workDirectory: TemporaryDirectory,
        ownedRoot: TemporaryDirectory?
    ) {
        self.root = root
        self.port = port
        self.process = process
        self.workDirectory = workDirectory
        self.ownedRoot = ownedRoot
    }

    deinit { stop() }

    /// Starts a daemon serving `root` (by default a new temporary directory, removed on deinit)
    /// and returns once it accepts connections.
    ///
    /// With `port`, the daemon listens there (a server restarted where its clients expect it).
    public static func start(root: URL? = nil, enableReceivePack: Bool = false, port fixedPort: UInt16? = nil) async throws
        -> GitDaemonServer
    {
        let workDirectory = try TemporaryDirectory(label: "git-daemon")
        let ownedRoot = root == nil ? try TemporaryDirectory(label: "git-daemon-root") : nil
        guard let base = (root ?? ownedRoot?.url)?.resolvingSymlinksInPath() else {
            throw TestSupportError(.invalidArgument, "no root directory")
        }
        let git = try ProcessRunner.resolveExecutable("git")
        let (process, port) = try await ServerStartup.launchOnFreePort(name: "git daemon", attempts: fixedPort == nil ? 5 : 50, port: fixedPort) { port in
            var arguments = [
                "daemon", "--export-all", "--base-path=\(base.path)", "--reuseaddr",
                "--listen=\(Loopback.host)", "--port=\(port)", "--informative-errors", "--verbose",
            ]
            if enableReceivePack { arguments.append("--enable=receive-pack") }
            arguments.append(base.path)
            return try BackgroundProcess(
                git, arguments, environment: GitCLI.isolatedEnvironment,
                unsetting: GitCLI.unsetVariables,
                logFile: workDirectory.appending("daemon-\(port).log"))
        } isReady: { port in
            Loopback.isAccepting(port: port)
        }
        return GitDaemonServer(
            root: base, port: port, process: process, workDirectory: workDirectory,
            ownedRoot: ownedRoot)
    }

    /// `git://127.0.0.1:PORT/NAME` for a repository under ``root`` (`.git` is appended when
    /// `name` lacks it).
    public func url(for repositoryName: String) -> String {
        "git://\(Loopback.host):\(port)/\(RepositoryName.withGitSuffix(repositoryName))"
    }

    /// Creates an empty bare repository `NAME.git` under ``root``.
    public func createRepository(named name: String, defaultBranch: String = "main") throws
        -> BareRepository
    {
        try BareRepository(
            at: root.appendingPathComponent(RepositoryName.withGitSuffix(name)),
            defaultBranch: defaultBranch)
    }

    /// The daemon's PID.
    public var pid: Int32 { process.pid }

    /// Whether the daemon is still running.
    public var isRunning: Bool { process.isRunning }

    /// What the daemon has logged (it runs with `--verbose`).
    public func log() -> String { process.log() }

    /// Stops the daemon and its per-connection children. Safe to call more than once.
    public func stop() { process.stop() }
}

/// Repository naming shared by the servers.
enum RepositoryName {
    static func withGitSuffix(_ name: String) -> String {
        let trimmed = name.hasPrefix("/") ? String(name.dropFirst()) : name
        return trimmed.hasSuffix(".git") ? trimmed : trimmed + ".git"
    }
}
