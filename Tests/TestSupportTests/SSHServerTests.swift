import Foundation
import Testing
import TestSupport

@Suite("SSHServer")
struct SSHServerTests {
    @Test("git clones over ssh with the right known_hosts and refuses a mismatched host key or an unknown user key")
    func cloneOverSSH() async throws {
        let server = try await SSHServer.start()
        let storage = try TemporaryDirectory()
        let work = try GitRepository()
        try work.write("over ssh\n", to: "README")
        let head = try work.commit("ssh")
        let bare = try BareRepository.populated(from: work, at: storage.appending("app.git"))
        let url = server.url(forRepositoryAt: bare.url)
        #expect(url == "ssh://\(server.user)@127.0.0.1:\(server.port)\(bare.path)")

        try await GitCLI.runAsync(
            ["clone", "--quiet", url, storage.appending("ok").path],
            environment: ["GIT_SSH_COMMAND": server.sshCommand()])
        #expect(try GitCLI.run(["rev-parse", "HEAD"], in: storage.appending("ok")).trimmedOutput == head)

        let mismatch = try await GitCLI.runAsync(
            ["ls-remote", url],
            environment: ["GIT_SSH_COMMAND": server.sshCommand(knownHosts: server.wrongKnownHostsPath)],
            check: false)
        #expect(!mismatch.succeeded)
        #expect(mismatch.errorOutput.contains("Host key verification failed"))

        let unknownKey = try await GitCLI.runAsync(
            ["ls-remote", url],
            environment: ["GIT_SSH_COMMAND": server.sshCommand(key: server.unauthorizedClientKey)],
            check: false)
        #expect(!unknownKey.succeeded)
        #expect(unknownKey.errorOutput.contains("Permission denied"))
    }

    @Test("the host alias in the generated ssh_config serves scp-style URLs")
    func scpStyleThroughAlias() async throws {
        let server = try await SSHServer.start()
        let work = try GitRepository()
        try work.write("x", to: "x")
        let head = try work.commit("x")
        let listing = try await GitCLI.runAsync(
            ["ls-remote", server.aliasURL(forRepositoryAt: work.url)],
            environment: ["GIT_SSH_COMMAND": "ssh -F '\(server.sshConfigPath.path)'"])
        #expect(listing.output.contains("\(head)\tHEAD"))
        #expect(server.scpStyleURL(forRepositoryAt: work.url) == "\(server.user)@127.0.0.1:\(work.path)")
    }

    @Test("the passphrase key opens only with its passphrase and is authorized")
    func passphraseKey() async throws {
        let server = try await SSHServer.start()
        let key = server.passphraseClientKey
        #expect(key.passphrase == SSHServer.passphrase)
        let derived = try ProcessRunner.run(
            "ssh-keygen", ["-y", "-P", SSHServer.passphrase, "-f", key.privateKeyPath.path], check: true)
        #expect(derived.trimmedOutput.hasPrefix(key.publicKeyWithoutComment))
        let wrong = try ProcessRunner.run(
            "ssh-keygen", ["-y", "-P", "wrong", "-f", key.privateKeyPath.path])
        #expect(!wrong.succeeded)
        #expect(server.hostKey.publicKey.hasPrefix("ssh-ed25519 "))
        let knownHosts = try String(contentsOf: server.knownHostsPath, encoding: .utf8)
        #expect(knownHosts.hasPrefix("[127.0.0.1]:\(server.port) ssh-ed25519 "))
    }
}
