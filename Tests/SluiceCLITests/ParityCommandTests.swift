import Foundation
import Testing
import TestSupport

/// The Argo CD parity settings as a user meets them: `--create-namespace` with its labels on
/// `sluice sync`, and an object another application tracks, refused and shown as stalled by
/// `sluice status`.
@Suite("Argo CD parity, as a user runs it", .timeLimit(.minutes(8)))
struct ParityCommandTests {
    typealias Workspace = SyncCommandTests.Workspace
    typealias RunningCluster = SyncCommandTests.RunningCluster

    @Test("sluice sync --create-namespace creates the application's namespace with --namespace-label and --namespace-annotation before a PreSync hook that runs in it")
    func createNamespaceFlags() async throws {
        let ws = try Workspace("parity-create-namespace")
        let cluster = try await RunningCluster(ws)
        defer { cluster.stop() }
        try ws.work.write(SyncCommandTests.hookJob("migrate", hook: "PreSync", script: "echo migrating"), to: "app/migrate.yaml")
        try ws.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        try ws.work.commit("an application in its own namespace")

        let refused = try await ws.run("sync", ["--path", "app", "--app", "shop", "--namespace", "payments", "--namespace-label", "team=payments"])
        #expect(refused.exitCode == 2, "labels without --create-namespace are a usage error: \(refused.output)\(refused.errorOutput)")

        let result = try await ws.run(
            "sync",
            ["--path", "app", "--app", "shop", "--namespace", "payments", "--create-namespace", "--namespace-label", "team=payments",
             "--namespace-annotation", "example.com/owner=payments@example.com", "--output", "json"])
        #expect(result.exitCode == 0, "\(result.output)\(result.errorOutput)")
        let tasks = try SyncCommandTests.tasks(try SyncCommandTests.object(result))
        #expect(Array(SyncCommandTests.order(tasks).prefix(2)) == ["PreSync 0 Namespace payments", "PreSync 0 Job migrate"], "\(tasks)")

        let labels = try await cluster.kubectl(["get", "namespace", "payments", "-o", "jsonpath={.metadata.labels.team}|{.metadata.annotations.example\\.com/owner}"])
        #expect(labels.output == "payments|payments@example.com", "\(labels.output)\(labels.errorOutput)")
        let job = try await cluster.kubectl(["get", "job", "migrate", "-n", "payments", "-o", "name"])
        #expect(job.exitCode == 0, "the hook ran in the created namespace: \(job.errorOutput)")
    }

    @Test("an agent whose application claims a ConfigMap another application tracks stalls: status names the object and both applications, and nothing is applied")
    func sharedObjectStalls() async throws {
        let ws = try Workspace("parity-shared")
        try ws.work.write(SyncCommandTests.configMap("settings", ["owner": "shop"]), to: "shop/settings.yaml")
        try ws.work.write(SyncCommandTests.configMap("settings", ["owner": "billing"]), to: "billing/settings.yaml")
        try ws.work.write(SyncCommandTests.configMap("rates", ["eur": "1"]), to: "billing/rates.yaml")
        let revision = try ws.work.commit("two applications, one ConfigMap")
        let first = try await ws.run("sync", ["--path", "shop", "--app", "shop"])
        #expect(first.exitCode == 0, "\(first.output)\(first.errorOutput)")

        let config = ws.directory.appending("agent.yaml")
        try Data("apps:\n  - name: billing\n    repo: \(ws.work.path)\n    path: billing\n".utf8).write(to: config)
        let agent = try await AgentCommandTests.RunningAgent(ws, ["--config", config.path, "--interval", "1h"])
        var status: [String: Any] = [:]
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "billing stalls") {
            let result = try await ws.sluice(["status", "--app", "billing", "--state-dir", ws.state, "--output", "json"])
            status = (try? JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]])?.first ?? [:]
            return status["stalled"] as? Bool == true
        }
        agent.process.stop()
        #expect(status["errorClass"] as? String == "stalled", "\(status)")
        #expect(status["stalledRevision"] as? String == revision, "\(status)")
        let error = status["error"] as? String ?? ""
        #expect(error.contains("ConfigMap default/settings") && error.contains("tracked by application shop") && error.contains("billing"), "\(error)")

        let show = try SyncCommandTests.object(try await ws.sluice(["show", revision, "--app", "billing", "--state-dir", ws.state, "--output", "json"]))
        #expect(show["outcome"] as? String == "Failed", "\(show)")
        let tasks = try SyncCommandTests.tasks(show)
        #expect(tasks.map { $0["name"] as? String } == ["settings"], "only the refused object is listed; nothing was applied: \(tasks)")
    }
}
