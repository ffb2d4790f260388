import Foundation
import Testing
import TestSupport
@testable import GitSource

@Suite("SSH transport against sshd on loopback")
struct SSHTransportTests {
    struct Fixture {
        let server: SSHServer
        let mirrorFixture: MirrorFixture
        let head: String
        var url: String { server.url(forRepositoryAt: mirrorFixture.bare.url) }

        init() async throws {
            server = try await SSHServer.start()
            mirrorFixture = try MirrorFixture()
            _ = try mirrorFixture.work.write("a: 1\n", to: "a.yaml")
            head = try mirrorFixture.work.commit("one")
            try mirrorFixture.publish()
        }

        func mirror(_ credentials: GitCredentials, state: String = "state") throws -> GitMirror {
            var options = GitSourceOptions()
            options.operationTimeout = .seconds(30)
            return GitMirror(url: try RepositoryURL(url), credentials: credentials,
                             stateDirectory: mirrorFixture.directory.appending(state).path, options: options)
        }

        func stop() {
            server.stop()
            mirrorFixture.directory.remove()
        }
    }

    static func expect(_ code: GitSourceError.Code, containing text: String, _ body: () async throws -> Void) async {
        await #expect {
            try await body()
        } throws: { error in
            let e = error as? GitSourceError
            return e?.code == code && e?.message.contains(text) == true
        }
    }

    @Test("fetches with a key, checking the host key against known_hosts")
    func keyAuth() async throws {
        let f = try await Fixture()
        defer { f.stop() }
        let mirror = try f.mirror(GitCredentials(sshPrivateKey: f.server.clientKey.privateKeyPath.path,
                                                 knownHosts: f.server.knownHostsPath.path))
        #expect(try await mirror.update(.branch("main")) == ResolvedRevision(ref: "refs/heads/main", revision: f.head))
        #expect(try await mirror.resolveRemote(.defaultBranch).revision == f.head)
    }

    @Test("uses a key's passphrase, and fails clearly without it")
    func passphrase() async throws {
        let f = try await Fixture()
        defer { f.stop() }
        let key = f.server.passphraseClientKey
        let good = try f.mirror(GitCredentials(sshPrivateKey: key.privateKeyPath.path, sshPassphrase: Secret(SSHServer.passphrase),
                                               knownHosts: f.server.knownHostsPath.path))
        #expect(try await good.update(.branch("main")).revision == f.head)
        let missing = try f.mirror(GitCredentials(sshPrivateKey: key.privateKeyPath.path, knownHosts: f.server.knownHostsPath.path), state: "s2")
        await #expect {
            try await missing.update(.branch("main"))
        } throws: { ($0 as? GitSourceError)?.code == .authentication }
    }

    @Test("a key the server does not accept is an authentication error")
    func unauthorizedKey() async throws {
        let f = try await Fixture()
        defer { f.stop() }
        let mirror = try f.mirror(GitCredentials(sshPrivateKey: f.server.unauthorizedClientKey.privateKeyPath.path,
                                                 knownHosts: f.server.knownHostsPath.path))
        await #expect {
            try await mirror.update(.branch("main"))
        } throws: { ($0 as? GitSourceError)?.code == .authentication }
    }

    @Test("refuses a host whose key differs from known_hosts")
    func mismatchedHostKey() async throws {
        let f = try await Fixture()
        defer { f.stop() }
        let mirror = try f.mirror(GitCredentials(sshPrivateKey: f.server.clientKey.privateKeyPath.path,
                                                 knownHosts: f.server.wrongKnownHostsPath.path))
        await Self.expect(.untrusted, containing: "does not match") { _ = try await mirror.update(.branch("main")) }
    }

    @Test("refuses a host that is not in known_hosts, or when no known_hosts is given")
    func unknownHost() async throws {
        let f = try await Fixture()
        defer { f.stop() }
        let empty = f.mirrorFixture.directory.appending("empty_known_hosts")
        try Data("# nothing\n[example.com]:22 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ5xZ0hW2UoG8e7V4DQq3w7YqKzC1VbR8Tq1a2b3c4d5\n".utf8).write(to: empty)
        let key = f.server.clientKey.privateKeyPath.path
        let unknown = try f.mirror(GitCredentials(sshPrivateKey: key, knownHosts: empty.path))
        await Self.expect(.untrusted, containing: "is not in") { _ = try await unknown.update(.branch("main")) }
        let none = try f.mirror(GitCredentials(sshPrivateKey: key), state: "s3")
        await Self.expect(.untrusted, containing: "--known-hosts") { _ = try await none.update(.branch("main")) }
    }

    @Test("accepts hashed known_hosts entries")
    func hashedKnownHosts() async throws {
        let f = try await Fixture()
        defer { f.stop() }
        let hashed = f.mirrorFixture.directory.appending("hashed_known_hosts")
        try FileManager.default.copyItem(at: f.server.knownHostsPath, to: hashed)
        try ProcessRunner.run("ssh-keygen", ["-H", "-f", hashed.path], check: true)
        let text = try String(contentsOf: hashed, encoding: .utf8)
        #expect(text.hasPrefix("|1|"))
        let mirror = try f.mirror(GitCredentials(sshPrivateKey: f.server.clientKey.privateKeyPath.path, knownHosts: hashed.path))
        #expect(try await mirror.update(.branch("main")).revision == f.head)
    }
}
