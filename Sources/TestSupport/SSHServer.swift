import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// OpenSSH's `sshd` on a free 127.0.0.1 port, with a generated host key, two authorized client
/// keys (one protected by a passphrase), a matching `known_hosts` and a deliberately wrong one.
///
/// Users log in as the current user (root on CI: `PermitRootLogin prohibit-password`); only
/// public-key authentication is allowed. Repositories are addressed by absolute path. Stopped
/// by PID on ``stop()`` and on deinit.
///
/// scp-style URLs (`user@host:path`) cannot carry a port, so ``scpStyleURL(forRepositoryAt:)``
/// only works for clients told the port some other way: OpenSSH reads it from
/// ``sshConfigPath`` (host alias ``hostAlias``); libgit2/libssh2 reads no ssh config, so test
/// scp-style parsing there and connect with the `ssh://` form.
public final class SSHServer: @unchecked Sendable {
    /// The TCP port on 127.0.0.1.
    public let port: UInt16
    /// The login name: the user running the tests.
    public let user: String
    /// The server's host key (public part in ``SSHKeyPair/publicKey``).
    public let hostKey: SSHKeyPair
    /// An authorized client key without a passphrase.
    public let clientKey: SSHKeyPair
    /// An authorized client key protected by ``SSHKeyPair/passphrase``.
    public let passphraseClientKey: SSHKeyPair
    /// A key that is NOT authorized (to test refused logins).
    public let unauthorizedClientKey: SSHKeyPair
    /// `known_hosts` with the server's host key for `[127.0.0.1]:PORT`.
    public let knownHostsPath: URL
    /// `known_hosts` with a different key for the same host, to test mismatch refusal.
    public let wrongKnownHostsPath: URL
    /// An OpenSSH client config defining ``hostAlias`` (host, port, user, key, known_hosts).
    public let sshConfigPath: URL
    /// The host alias defined in ``sshConfigPath``.
    public let hostAlias = "sluice-test-sshd"
    private let process: BackgroundProcess
    private let workDirectory: TemporaryDirectory

    private init(
        port: UInt16, user: String, keys: Keys, knownHostsPath: URL, wrongKnownHostsPath: URL,
        sshConfigPath: URL, process: BackgroundProcess, workDirectory: TemporaryDirectory
    ) {
        self.port = port
        self.user = user
        self.hostKey = keys.host
        self.clientKey = keys.client
        self.passphraseClientKey = keys.passphraseClient
        self.unauthorizedClientKey = keys.unauthorized
        self.knownHostsPath = knownHostsPath
        self.wrongKnownHostsPath = wrongKnownHostsPath
        self.sshConfigPath = sshConfigPath
        self.process = process
        self.workDirectory = workDirectory
    }

    deinit { stop() }

    /// The passphrase of ``passphraseClientKey``.
    public static let passphrase = "sluice test passphrase"

    private struct Keys {
        var host: SSHKeyPair
        var client: SSHKeyPair
        var passphraseClient: SSHKeyPair
        var unauthorized: SSHKeyPair
        var wrongHost: SSHKeyPair
    }

    /// Generates keys, starts `sshd` (`SLUICE_TEST_SSHD` or `/usr/sbin/sshd`) and returns once it
    /// sends its SSH banner.
    public static func start(
        clientKeyType: SSHKeyPair.KeyType = .ed25519, hostKeyType: SSHKeyPair.KeyType = .ed25519
    ) async throws -> SSHServer {
        let sshd = try locateSSHD()
        let directory = try TemporaryDirectory(label: "sshd")
        let keys = Keys(
            host: try .generate(at: directory.appending("ssh_host_key"), type: hostKeyType),
            client: try .generate(at: directory.appending("id_client"), type: clientKeyType),
            passphraseClient: try .generate(
                at: directory.appending("id_client_passphrase"), type: clientKeyType,
                passphrase: passphrase),
            unauthorized: try .generate(at: directory.appending("id_unauthorized"), type: clientKeyType),
            wrongHost: try .generate(at: directory.appending("wrong_host_key"), type: hostKeyType))
        let authorizedKeys = directory.appending("authorized_keys")
        try Data((keys.client.publicKey + "\n" + keys.passphraseClient.publicKey + "\n").utf8)
            .write(to: authorizedKeys)
        if geteuid() == 0 { try ensurePrivilegeSeparationDirectory() }
        let user = currentUserName()

        let (process, port) = try await ServerStartup.launchOnFreePort(name: "sshd") { port in
            let config = directory.appending("sshd_config-\(port)")
            let text = """
                Port \(port)
                ListenAddress 127.0.0.1
                HostKey \(keys.host.privateKeyPath.path)
                PidFile \(directory.appending("sshd-\(port).pid").path)
                AuthorizedKeysFile \(authorizedKeys.path)
                StrictModes no
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PubkeyAuthentication yes
                PermitRootLogin prohibit-password
                UsePAM no
                PrintMotd no
                AcceptEnv GIT_PROTOCOL
                MaxStartups 100
                LogLevel VERBOSE

                """
            try Data(text.utf8).write(to: config)
            return try BackgroundProcess(
                sshd, ["-D", "-e", "-f", config.path],
                logFile: directory.appending("sshd-\(port).log"))
        } isReady: { port in
            (try? Loopback.readGreeting(port: port, timeout: .seconds(2)))?.hasPrefix("SSH-") ?? false
        }

        let knownHosts = directory.appending("known_hosts")
        let wrongKnownHosts = directory.appending("known_hosts_wrong")
        try Data("[127.0.0.1]:\(port) \(keys.host.publicKeyWithoutComment)\n".utf8).write(to: knownHosts)
        try Data("[127.0.0.1]:\(port) \(keys.wrongHost.publicKeyWithoutComment)\n".utf8)
            .write(to: wrongKnownHosts)
        let sshConfig = directory.appending("ssh_config")
        let configText = """
            Host sluice-test-sshd
              HostName 127.0.0.1
              Port \(port)
              User \(user)
              IdentityFile \(keys.client.privateKeyPath.path)
              IdentitiesOnly yes
              UserKnownHostsFile \(knownHosts.path)
              GlobalKnownHostsFile /dev/null
              StrictHostKeyChecking yes
              BatchMode yes

            """
        try Data(configText.utf8).write(to: sshConfig)
        return SSHServer(
            port: port, user: user, keys: keys, knownHostsPath: knownHosts,
            wrongKnownHostsPath: wrongKnownHosts, sshConfigPath: sshConfig, process: process,
            workDirectory: directory)
    }

    /// `ssh://USER@127.0.0.1:PORT/ABSOLUTE/PATH` for a repository on this machine.
    public func url(forRepositoryAt path: URL) -> String {
        "ssh://\(user)@\(Loopback.host):\(port)\(path.path)"
    }

    /// `USER@127.0.0.1:/ABSOLUTE/PATH`: scp-style, which cannot name a port, so it reaches this
    /// server only through a client that gets the port elsewhere (see ``sshConfigPath``).
    public func scpStyleURL(forRepositoryAt path: URL) -> String {
        "\(user)@\(Loopback.host):\(path.path)"
    }

    /// `sluice-test-sshd:/ABSOLUTE/PATH`: scp-style through ``hostAlias``, for OpenSSH with
    /// `-F` ``sshConfigPath``.
    public func aliasURL(forRepositoryAt path: URL) -> String {
        "\(hostAlias):\(path.path)"
    }

    /// A `GIT_SSH_COMMAND` for the OpenSSH client: the given key (default ``clientKey``) and
    /// known_hosts (default ``knownHostsPath``), strict host key checking, no agent, no prompts.
    /// The port comes from the `ssh://` URL.
    public func sshCommand(key: SSHKeyPair? = nil, knownHosts: URL? = nil) -> String {
        let key = key ?? clientKey
        let knownHosts = knownHosts ?? knownHostsPath
        return [
            "ssh", "-F", "/dev/null", "-i", Self.quote(key.privateKeyPath.path),
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", "UserKnownHostsFile=\(Self.quote(knownHosts.path))",
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
        ].joined(separator: " ")
    }

    /// The server's PID.
    public var pid: Int32 { process.pid }

    /// Whether `sshd` is still running.
    public var isRunning: Bool { process.isRunning }

    /// What `sshd` logged (`-e`, LogLevel VERBOSE): accepted and refused keys, errors.
    public func log() -> String { process.log() }

    /// Stops `sshd` and its sessions. Safe to call more than once.
    public func stop() { process.stop() }

    private static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private static func locateSSHD() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let configured = environment["SLUICE_TEST_SSHD"], !configured.isEmpty { return configured }
        for candidate in ["/usr/sbin/sshd", "/usr/local/sbin/sshd", "/usr/bin/sshd"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw TestSupportError(.notFound, "sshd not found; install openssh-server (scripts/bootstrap)")
    }

    /// sshd started as root insists on its privilege-separation directory.
    private static func ensurePrivilegeSeparationDirectory() throws {
        let directory = "/run/sshd"
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
            isDirectory.boolValue
        {
            return
        }
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755])
    }

    private static func currentUserName() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name {
            return String(cString: name)
        }
        return ProcessInfo.processInfo.environment["USER"] ?? "root"
    }
}
