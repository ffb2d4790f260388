import Foundation
import Ledger
import Testing
import TestSupport

/// Mistakes a user makes on the command line get one clear line and the contract's exit code, and
/// never a silent success: a $KUBECONFIG that names no file, an application that does not exist,
/// a --path that is not in the commit, a directory with nothing Sluice renders, a busy port.
@Suite("Command-line safety: bad input is named, never a silent success", .timeLimit(.minutes(8)))
struct CLISafetyTests {
    typealias Workspace = SyncCommandTests.Workspace

    @Test("a $KUBECONFIG naming a missing file exits 2 naming it, and never falls back to the embedded cluster")
    func missingKubeconfig() async throws {
        let ws = try Workspace("cli-safety-kubeconfig")
        try ws.work.write(SyncCommandTests.configMap("settings", ["a": "1"]), to: "app/settings.yaml")
        try ws.work.commit("Add settings")
        let missing = ws.directory.appending("no-such-kubeconfig").path
        var environment = ws.environment
        environment["KUBECONFIG"] = missing
        for command in ["sync", "plan"] {
            let result = try await CLI.run([command, "--repo", ws.work.path, "--path", "app", "--state-dir", ws.state], environment: environment)
            #expect(result.exitCode == 2, "\(command): \(result.errorOutput)")
            #expect(result.errorOutput.contains(missing), "\(result.errorOutput)")
            #expect(result.errorOutput.split(separator: "\n").count == 1, "one line: \(result.errorOutput)")
            #expect(!FileManager.default.fileExists(atPath: ws.state + "/local-cluster"), "no embedded cluster: \(command)")
        }
    }

    @Test("suspend and resume of an application the ledger does not know exit 2 listing the known ones, and a wrong state directory is not created")
    func unknownApplication() async throws {
        let ws = try Workspace("cli-safety-suspend")
        let ledger = try await Ledger.open(stateDirectory: ws.state)
        try await ledger.setSuspended(false, app: "shop", reason: "")
        try await ledger.setSuspended(false, app: "billing", reason: "")
        try await ledger.close()
        for command in ["suspend", "resume"] {
            let result = try await ws.sluice([command, "--app", "shpo", "--state-dir", ws.state])
            #expect(result.exitCode == 2, "\(result.errorOutput)")
            #expect(result.errorOutput.contains("no application shpo"), "\(result.errorOutput)")
            #expect(result.errorOutput.contains("known: billing, shop"), "\(result.errorOutput)")
        }
        let known = try await ws.sluice(["suspend", "--app", "shop", "--state-dir", ws.state])
        #expect(known.exitCode == 0, "\(known.errorOutput)")
        let elsewhere = ws.directory.appending("typo").path
        let wrong = try await ws.sluice(["suspend", "--app", "shop", "--state-dir", elsewhere])
        #expect(wrong.exitCode == 2, "\(wrong.errorOutput)")
        #expect(!FileManager.default.fileExists(atPath: elsewhere))
    }

    @Test("a --path that is not in the commit exits 3 for sync and plan; the sync's attempt is recorded Failed with the reason")
    func missingPath() async throws {
        let ws = try Workspace("cli-safety-path")
        try ws.work.write(SyncCommandTests.configMap("settings", ["a": "1"]), to: "deploy/settings.yaml")
        let head = try ws.work.commit("Add settings under deploy")
        let plan = try await ws.run("plan", ["--path", "dpeloy", "--app", "shop"])
        #expect(plan.exitCode == 3, "\(plan.errorOutput)")
        #expect(plan.errorOutput.contains("the path 'dpeloy' does not exist at \(head.prefix(12))"), "\(plan.errorOutput)")
        let sync = try await ws.run("sync", ["--path", "dpeloy", "--app", "shop"])
        #expect(sync.exitCode == 3, "\(sync.errorOutput)")
        #expect(sync.output.contains(": Failed"), "\(sync.output)")
        let status = try await ws.sluice(["status", "--state-dir", ws.state, "--output", "json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: status.stdout) as? [[String: Any]], "\(status.output)")
        let shop = try #require(entries.first { $0["app"] as? String == "shop" })
        #expect(shop["lastOutcome"] as? String == "Failed", "\(shop)")
        #expect((shop["message"] as? String)?.contains("does not exist") == true, "\(shop)")
    }

    @Test("a first sync that finds no objects is refused naming the files it found as not rendered, and --allow-empty lets it through")
    func nothingToApply() async throws {
        let ws = try Workspace("cli-safety-empty")
        try ws.work.write("local params = import 'params.libsonnet';\n[]\n", to: "app/guestbook.jsonnet")
        try ws.work.write("{ replicas: 1 }\n", to: "app/params.libsonnet")
        try ws.work.commit("A Jsonnet app")
        let sync = try await ws.run("sync", ["--path", "app", "--app", "guestbook"])
        #expect(sync.exitCode == 1, "\(sync.output)\(sync.errorOutput)")
        #expect(sync.output.contains("no Kubernetes objects under 'app'"), "\(sync.output)")
        #expect(sync.output.contains("guestbook.jsonnet (Jsonnet, not rendered)"), "\(sync.output)")
        #expect(sync.output.contains("--allow-empty"), "\(sync.output)")
        #expect(sync.output.contains("Sluice does not render Jsonnet: render it to YAML in CI"), "what to do: \(sync.output)")
        let plan = try await ws.run("plan", ["--path", "app", "--app", "guestbook"])
        #expect(plan.exitCode == 1, "\(plan.errorOutput)")
        #expect(plan.errorOutput.contains("guestbook.jsonnet (Jsonnet, not rendered)"), "\(plan.errorOutput)")
        let allowed = try await ws.run("sync", ["--path", "app", "--app", "guestbook", "--allow-empty"])
        #expect(allowed.exitCode == 0, "\(allowed.output)\(allowed.errorOutput)")
        #expect(allowed.output.contains(": Succeeded"), "\(allowed.output)")
    }

    @Test("a busy port is one line and exit 2, for the agent before it starts anything and for local-cluster")
    func busyPort() async throws {
        let ws = try Workspace("cli-safety-port")
        let holder = try Loopback.listeningSocket()
        defer { holder.close() }
        let address = "127.0.0.1:\(holder.port)"
        let agent = try await ws.sluice(["agent", "--repo", ws.work.path, "--state-dir", ws.state, "--listen", address])
        #expect(agent.exitCode == 2, "\(agent.errorOutput)")
        #expect(agent.errorOutput == "sluice: cannot listen on \(address): address in use\n", "\(agent.errorOutput)")
        #expect(!FileManager.default.fileExists(atPath: ws.state + "/local-cluster"), "nothing started before the check")
        let cluster = try await ws.sluice(["local-cluster", "--data", ws.directory.appending("lc").path, "--listen", address])
        #expect(cluster.exitCode == 2, "\(cluster.errorOutput)")
        #expect(cluster.errorOutput == "sluice: cannot listen on \(address): address in use\n", "\(cluster.errorOutput)")
    }

    @Test("a manual sync puts back an object that drifted from the revision, without --full")
    func manualSyncRepairsDrift() async throws {
        let ws = try Workspace("cli-safety-drift")
        let cluster = try await SyncCommandTests.RunningCluster(ws)
        defer { cluster.stop() }
        try ws.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        try ws.work.write(SyncCommandTests.configMap("other", ["a": "1"]), to: "app/other.yaml")
        try ws.work.commit("settings")
        let first = try await ws.run("sync", ["--path", "app", "--app", "shop"])
        #expect(first.exitCode == 0, "\(first.output)\(first.errorOutput)")
        let patched = try await cluster.kubectl(["patch", "configmap", "settings", "--type", "merge", "-p", #"{"data":{"mode":"drifted"}}"#])
        #expect(patched.exitCode == 0, "\(patched.errorOutput)")

        let again = try await ws.run("sync", ["--path", "app", "--app", "shop", "--output", "json"])
        #expect(again.exitCode == 0, "\(again.output)\(again.errorOutput)")
        let mode = try await cluster.kubectl(["get", "configmap", "settings", "-o", "jsonpath={.data.mode}"])
        #expect(mode.trimmedOutput == "one", "the drifted value is put back")
        let changes = try #require(try SyncCommandTests.object(again)["changes"] as? [String: [String]])
        #expect(changes["configured"] == ["/ConfigMap/default/settings"], "\(changes)")
        #expect(changes["unchanged"] == ["/ConfigMap/default/other"], "\(changes)")
    }

    @Test("content the source refuses (a symlink out of the repository) is a recorded Failed attempt with the reason, not only a log line")
    func refusedContentIsRecorded() async throws {
        let ws = try Workspace("cli-safety-refused")
        try ws.work.write(SyncCommandTests.configMap("settings", ["a": "1"]), to: "app/settings.yaml")
        try ws.work.writeSymlink(at: "app/passwd.yaml", pointingTo: "/etc/passwd")
        let head = try ws.work.commit("a symlink out of the repository")
        let sync = try await ws.run("sync", ["--path", "app", "--app", "shop"])
        #expect(sync.exitCode == 1, "\(sync.output)\(sync.errorOutput)")
        #expect(sync.output.contains("the source was refused"), "\(sync.output)")
        #expect(sync.output.contains("passwd.yaml"), "\(sync.output)")
        let history = try SyncCommandTests.array(try await ws.sluice(["history", "--state-dir", ws.state, "--output", "json"]))
        #expect(history.map { $0["revision"] as? String } == [head])
        #expect(history.first?["outcome"] as? String == "Failed")
        #expect(history.first?["phaseReached"] as? String == "Validate")
    }
}
