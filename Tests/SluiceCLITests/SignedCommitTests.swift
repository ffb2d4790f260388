import Foundation
import Testing
import TestSupport

/// `--verify` and `verify:` as a user runs them: real OpenPGP and SSH keys made by gpg and
/// ssh-keygen, commits and tags signed by the git CLI, served by `git daemon` (or read from the
/// work tree), and `sluice sync`, `plan`, `show`, `status` and the agent against a cluster.
@Suite("Signed commits: only trusted revisions are applied", .timeLimit(.minutes(8)))
struct SignedCommitTests {
    typealias Workspace = SyncCommandTests.Workspace
    typealias RunningCluster = SyncCommandTests.RunningCluster

    /// A workspace with a cluster, `git daemon` serving a bare copy of the work tree, and keys:
    /// Alice (OpenPGP) and Carol (SSH) trusted, Mallory (OpenPGP) not.
    final class Signed: Sendable {
        let workspace: Workspace
        let cluster: RunningCluster
        let daemon: GitDaemonServer
        let bare: BareRepository
        let alice: SigningKey
        let carol: SigningKey
        let mallory: SigningKey
        let keyring: URL
        let allowedSigners: URL

        init(_ label: String) async throws {
            workspace = try Workspace(label)
            let keys = try workspace.directory.makeSubdirectory("keys")
            alice = try SigningKey.openPGP(name: "Alice", email: "alice@example.com", in: keys)
            carol = try SigningKey.ssh(email: "carol@example.com", in: keys)
            mallory = try SigningKey.openPGP(name: "Mallory", email: "mallory@example.com", in: keys)
            keyring = keys.appendingPathComponent("trusted.asc")
            allowedSigners = keys.appendingPathComponent("allowed_signers")
            try SigningKey.writeKeyring([alice], to: keyring)
            try SigningKey.writeAllowedSigners([carol], to: allowedSigners)
            cluster = try await RunningCluster(workspace)
            daemon = try await GitDaemonServer.start()
            bare = try daemon.createRepository(named: "shop")
        }

        deinit {
            [alice, carol, mallory].forEach { $0.stop() }
            daemon.stop()
            cluster.stop()
        }

        /// Commits `settings` (a ConfigMap `settings` with `mode`) signed by `key` (unsigned when nil) and pushes.
        @discardableResult
        func commit(_ mode: String, signedBy key: SigningKey?) throws -> String {
            try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": mode]), to: "app/settings.yaml")
            let id: String
            if let key {
                id = try workspace.work.commit("mode \(mode)", signedBy: key)
            } else {
                id = try workspace.work.commit("mode \(mode)")
            }
            try workspace.work.mirror(to: bare)
            return id
        }

        /// `sluice COMMAND --repo git://… --state-dir STATE --path app --app shop ARGUMENTS`.
        func run(_ command: String, _ arguments: [String]) async throws -> ProcessResult {
            try await workspace.sluice(
                [command, "--repo", daemon.url(for: "shop"), "--state-dir", workspace.state, "--path", "app", "--app", "shop"] + arguments)
        }

        /// The ConfigMap's `mode`, or nil when there is no such ConfigMap.
        func liveMode() async throws -> String? {
            let result = try await cluster.kubectl(["get", "configmap", "settings", "-n", "default", "-o", "jsonpath={.data.mode}"])
            return result.succeeded ? result.trimmedOutput : nil
        }
    }

    static func attempt(_ result: ProcessResult) throws -> [String: Any] {
        try SyncCommandTests.object(result)
    }

    @Test("a head signed by a trusted OpenPGP key syncs, and show and history name the signer and the key's fingerprint")
    func trustedOpenPGPHead() async throws {
        let signed = try await Signed("verify-gpg")
        let head = try signed.commit("one", signedBy: signed.alice)
        let sync = try await signed.run("sync", ["--verify", "head", "--verify-keyring", signed.keyring.path, "--output", "json"])
        #expect(sync.exitCode == 0, "\(sync.output)\(sync.errorOutput)")
        let attempt = try Self.attempt(sync)
        #expect(attempt["outcome"] as? String == "Succeeded")
        let signer = try #require(attempt["signer"] as? String)
        #expect(signer == "Alice <alice@example.com> (OpenPGP key \(signed.alice.fingerprint))")
        #expect(try await signed.liveMode() == "one")

        let show = try await signed.workspace.sluice(["show", head, "--state-dir", signed.workspace.state])
        #expect(show.output.contains("signedBy:"), "\(show.output)")
        #expect(show.output.contains(signed.alice.fingerprint), "\(show.output)")
        let history = try await signed.workspace.sluice(["history", "--state-dir", signed.workspace.state, "--output", "json"])
        #expect(try SyncCommandTests.array(history).first?["signer"] as? String == signer)
        #expect(!show.output.contains("BEGIN PGP"), "no key material is printed")
    }

    @Test("a head signed by an SSH key in the allowed signers syncs, and the principal and key fingerprint are recorded")
    func trustedSSHHead() async throws {
        let signed = try await Signed("verify-ssh")
        try signed.commit("one", signedBy: signed.carol)
        let sync = try await signed.run(
            "sync", ["--verify", "head", "--verify-allowed-signers", signed.allowedSigners.path, "--output", "json"])
        #expect(sync.exitCode == 0, "\(sync.output)\(sync.errorOutput)")
        let attempt = try Self.attempt(sync)
        #expect(attempt["outcome"] as? String == "Succeeded")
        #expect(attempt["signer"] as? String == "carol@example.com (SSH key \(signed.carol.fingerprint))")
        #expect(try await signed.liveMode() == "one")
    }

    @Test("an unsigned head is refused before anything is applied, plan says so too, and a properly signed commit then syncs")
    func unsignedHeadRefused() async throws {
        let signed = try await Signed("verify-unsigned")
        let unsigned = try signed.commit("unsigned", signedBy: nil)
        let verify = ["--verify", "head", "--verify-keyring", signed.keyring.path, "--verify-allowed-signers", signed.allowedSigners.path]
        let plan = try await signed.run("plan", verify)
        #expect(plan.exitCode == 1, "\(plan.output)\(plan.errorOutput)")
        #expect(plan.errorOutput.contains("commit \(unsigned.prefix(12)) is not signed"), "\(plan.errorOutput)")

        let sync = try await signed.run("sync", verify + ["--output", "json"])
        #expect(sync.exitCode == 1, "\(sync.output)\(sync.errorOutput)")
        let attempt = try Self.attempt(sync)
        #expect(attempt["outcome"] as? String == "Failed")
        #expect(attempt["phaseReached"] as? String == "Verify")
        #expect(attempt["signer"] as? String == "")
        let reason = try #require(attempt["outcomeMessage"] as? String)
        #expect(reason.contains("signature refused; nothing was applied: commit \(unsigned.prefix(12)) is not signed (made by Sluice Test"), "\(reason)")
        #expect((attempt["tasks"] as? [Any])?.isEmpty == true)
        #expect(try await signed.liveMode() == nil, "nothing was applied")

        let status = try await signed.workspace.sluice(["status", "--state-dir", signed.workspace.state, "--output", "json"])
        let entry = try #require(try SyncCommandTests.array(status).first)
        #expect((entry["message"] as? String)?.contains("is not signed") == true, "\(entry)")

        let good = try signed.commit("signed", signedBy: signed.carol)
        let retried = try await signed.run("sync", verify + ["--output", "json"])
        #expect(retried.exitCode == 0, "\(retried.output)\(retried.errorOutput)")
        #expect(try Self.attempt(retried)["revision"] as? String == good)
        #expect(try await signed.liveMode() == "signed")
    }

    @Test("a head signed by a key that is not trusted is refused naming the key's fingerprint and its identity; the live object stays as it was")
    func untrustedKeyRefused() async throws {
        let signed = try await Signed("verify-untrusted")
        try signed.commit("trusted", signedBy: signed.alice)
        let verify = ["--verify", "head", "--verify-keyring", signed.keyring.path]
        #expect(try await signed.run("sync", verify).exitCode == 0)

        try signed.commit("forged", signedBy: signed.mallory)
        let sync = try await signed.run("sync", verify + ["--output", "json"])
        #expect(sync.exitCode == 1, "\(sync.output)\(sync.errorOutput)")
        let reason = try #require(try Self.attempt(sync)["outcomeMessage"] as? String)
        #expect(reason.contains("signed by OpenPGP key \(signed.mallory.fingerprint) (mallory@example.com), which is not in the trusted keyring"), "\(reason)")
        #expect(try await signed.liveMode() == "trusted", "the forged revision was not applied")

        // An SSH signature with no allowed signers given is refused too, naming its key.
        try signed.commit("ssh", signedBy: signed.carol)
        let ssh = try await signed.run("sync", verify + ["--output", "json"])
        let sshReason = try #require(try Self.attempt(ssh)["outcomeMessage"] as? String)
        #expect(sshReason.contains("SSH signature by key \(signed.carol.fingerprint)"), "\(sshReason)")

        try signed.commit("fixed", signedBy: signed.alice)
        #expect(try await signed.run("sync", verify).exitCode == 0)
        #expect(try await signed.liveMode() == "fixed")
    }

    @Test("tag mode checks the annotated tag's own signature: a signed tag syncs, an unsigned or lightweight one is refused")
    func tagMode() async throws {
        let signed = try await Signed("verify-tag")
        try signed.commit("one", signedBy: nil)
        try signed.workspace.work.tag("v1.0.0", message: "release 1.0.0", signedBy: signed.alice)
        try signed.workspace.work.mirror(to: signed.bare)
        let verify = ["--verify", "tag", "--verify-keyring", signed.keyring.path]
        let sync = try await signed.run("sync", ["--tag", "v1.0.0", "--output", "json"] + verify)
        #expect(sync.exitCode == 0, "\(sync.output)\(sync.errorOutput)")
        #expect(try Self.attempt(sync)["signer"] as? String == "Alice <alice@example.com> (OpenPGP key \(signed.alice.fingerprint))")

        try signed.commit("two", signedBy: signed.alice)
        try signed.workspace.work.tag("v2.0.0", message: "release 2.0.0")
        try signed.workspace.work.tag("v3.0.0")
        try signed.workspace.work.mirror(to: signed.bare)
        let unsigned = try await signed.run("sync", ["--semver", ">=2.0.0 <3.0.0", "--output", "json"] + verify)
        #expect(unsigned.exitCode == 1, "\(unsigned.output)\(unsigned.errorOutput)")
        let reason = try #require(try Self.attempt(unsigned)["outcomeMessage"] as? String)
        #expect(reason.contains("tag v2.0.0 is not signed (made by Sluice Test <test@sluice.invalid>)"), "\(reason)")
        let lightweight = try await signed.run("sync", ["--tag", "v3.0.0", "--output", "json"] + verify)
        #expect(try Self.attempt(lightweight)["outcomeMessage"] as? String == "signature refused; nothing was applied: lightweight tag v3.0.0 is not signed")
        #expect(try await signed.liveMode() == "one")

        let branch = try await signed.run("sync", ["--branch", "main"] + verify)
        #expect(branch.exitCode == 2, "\(branch.errorOutput)")
        #expect(branch.errorOutput.contains("--verify tag verifies the signature of an annotated tag, so it needs a tag or semver pin"), "\(branch.errorOutput)")
    }

    @Test("all-commits checks every commit since the last applied one: an unsigned commit in the middle is named and stops the sync")
    func allCommits() async throws {
        let signed = try await Signed("verify-all")
        try signed.commit("one", signedBy: signed.alice)
        let verify = ["--verify", "all-commits", "--verify-keyring", signed.keyring.path, "--verify-allowed-signers", signed.allowedSigners.path]
        #expect(try await signed.run("sync", verify).exitCode == 0)

        try signed.commit("two", signedBy: signed.carol)
        let middle = try signed.commit("three", signedBy: nil)
        let head = try signed.commit("four", signedBy: signed.alice)
        let sync = try await signed.run("sync", verify + ["--output", "json"])
        #expect(sync.exitCode == 1, "\(sync.output)\(sync.errorOutput)")
        let attempt = try Self.attempt(sync)
        #expect(attempt["revision"] as? String == head)
        let reason = try #require(attempt["outcomeMessage"] as? String)
        #expect(reason.contains("1 of the 3 commits since the last applied revision are not trusted: commit \(middle.prefix(12)) is not signed"), "\(reason)")
        #expect(try await signed.liveMode() == "one")

        // Head-only verification of the same head passes: the mode decides.
        let head2 = try await signed.run("sync", ["--verify", "head", "--verify-keyring", signed.keyring.path, "--output", "json"])
        #expect(head2.exitCode == 0, "\(head2.output)\(head2.errorOutput)")
        #expect(try await signed.liveMode() == "four")
    }

    @Test("the agent stalls on an unsigned head with the reason in sluice status, and a signed commit clears it")
    func agentStallsOnUnsignedHead() async throws {
        let workspace = try Workspace("verify-agent")
        let keys = try workspace.directory.makeSubdirectory("keys")
        let carol = try SigningKey.ssh(email: "carol@example.com", in: keys)
        let allowed = keys.appendingPathComponent("allowed_signers")
        try SigningKey.writeAllowedSigners([carol], to: allowed)
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "unsigned"]), to: "app/settings.yaml")
        let unsigned = try workspace.work.commit("unsigned")
        let agent = try await AgentCommandTests.RunningAgent(
            workspace, ["--path", "app", "--app", "shop", "--interval", "1s", "--verify", "head", "--verify-allowed-signers", allowed.path])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the unsigned head stalls") {
            (try await AgentOutcomeTests.status(workspace))["stalled"] as? Bool == true
        }
        let stalled = try await AgentOutcomeTests.status(workspace)
        #expect(stalled["errorClass"] as? String == "stalled", "\(stalled)")
        #expect(stalled["stalledRevision"] as? String == unsigned)
        #expect((stalled["error"] as? String)?.contains("commit \(unsigned.prefix(12)) is not signed") == true, "\(stalled)")
        #expect(stalled["lastAppliedRevision"] is NSNull, "\(stalled)")
        let text = try await workspace.sluice(["status", "--state-dir", workspace.state])
        #expect(text.output.contains("stalled: signature refused"), "\(text.output)")

        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "signed"]), to: "app/settings.yaml")
        let good = try workspace.work.commit("signed", signedBy: carol)
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the signed commit is synced") {
            AgentCommandTests.attempts(try await AgentCommandTests.history(workspace), revision: good).contains { $0["outcome"] as? String == "Succeeded" }
        }
        let cleared = try await AgentOutcomeTests.status(workspace)
        #expect(cleared["stalled"] as? Bool == false, "\(cleared)")
        let attempt = try #require(AgentCommandTests.attempts(try await AgentCommandTests.history(workspace), revision: good).first)
        #expect(attempt["signer"] as? String == "carol@example.com (SSH key \(carol.fingerprint))")
        agent.process.stop()
    }

    @Test("the config file's verify: is checked with the other settings: tag mode on a branch pin, a missing keyring, an unknown mode")
    func configFileErrors() async throws {
        let workspace = try Workspace("verify-config")
        let file = workspace.directory.appending("agent.yaml")
        let missing = workspace.directory.appending("no-such-keyring.asc").path
        try Data("""
            apps:
              - name: shop
                repo: https://git.example.com/shop/app.git
                branch: main
                verify: {mode: tag, keys: {keyring: \(missing)}}
              - name: billing
                repo: https://git.example.com/billing/app.git
                verify: {mode: everything}
            """.utf8).write(to: file)
        let check = try await CLI.run(["agent", "--config", file.path, "--check-config"])
        #expect(check.exitCode == 2, "\(check.output)\(check.errorOutput)")
        let errors = check.errorOutput
        #expect(errors.contains("agent.yaml: apps[0].verify: keys.keyring: \(missing) does not exist"), "\(errors)")
        #expect(errors.contains("agent.yaml: apps[0].verify: mode tag verifies the signature of an annotated tag, so it needs a tag or semver pin"), "\(errors)")
        #expect(errors.contains("agent.yaml: apps[1].verify.mode: 'everything' is not a verification mode (known: head, tag, all-commits)"), "\(errors)")
    }
}
