import Foundation
import Testing
import TestSupport

/// What the agent makes of each outcome, seen as a user sees it: `sluice status`, its JSON, the
/// history and `/metrics`. A deterministic failure stalls instead of being retried; a repeated
/// webhook for the applied head records nothing. (A Git server that is down, a `fetch` error until
/// it is back: AgentCommandTests.gitServerDownAndBack.)
@Suite("The agent's outcomes, visible in status and metrics", .timeLimit(.minutes(8)))
struct AgentOutcomeTests {
    typealias Workspace = SyncCommandTests.Workspace
    typealias RunningAgent = AgentCommandTests.RunningAgent

    static func status(_ workspace: Workspace) async throws -> [String: Any] {
        let result = try await workspace.sluice(["status", "--app", "shop", "--state-dir", workspace.state, "--output", "json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]], "\(result.output)\(result.errorOutput)")
        return try #require(entries.first)
    }

    @Test("an invalid manifest stalls: one Failed attempt however many ticks and webhooks pass, stalled in status and metrics with its reason; a fix clears it")
    func invalidManifestStalls() async throws {
        let workspace = try Workspace("agent-stalled")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let first = try workspace.work.commit("first")
        let secretFile = workspace.directory.appending("webhook-secret")
        try Data("hook-secret\n".utf8).write(to: secretFile)
        let agent = try await RunningAgent(
            workspace, ["--path", "app", "--app", "shop", "--interval", "1s", "--webhook-secret-file", secretFile.path])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the first commit is synced") {
            AgentCommandTests.attempts(try await AgentCommandTests.history(workspace), revision: first).contains { $0["outcome"] as? String == "Succeeded" }
        }

        // The applied head, announced again and again: nothing new is recorded.
        let payload = try JSONSerialization.data(withJSONObject: ["repository": "file://" + workspace.work.path])
        for _ in 0..<3 {
            let accepted = try await agent.post(
                "/hooks/generic", body: payload, headers: ["X-Sluice-Signature-256": AgentCommandTests.signature(payload, secret: "hook-secret")])
            #expect(accepted.0 == 202, "\(accepted.1)")
        }

        try workspace.work.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata: {a: [1, 2\n", to: "app/broken.yaml")
        let broken = try workspace.work.commit("a broken manifest")
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the broken commit stalls") {
            (try await Self.status(workspace))["stalled"] as? Bool == true
        }
        // Several more ticks (one a second) and webhooks: still the one attempt, no retry.
        let checks = #"sluice_fetch_duration_seconds_count{app="shop"}"#
        let checkedBefore = try await agent.metric(checks)
        for _ in 0..<2 {
            _ = try await agent.post(
                "/hooks/generic", body: payload, headers: ["X-Sluice-Signature-256": AgentCommandTests.signature(payload, secret: "hook-secret")])
        }
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(500), "three more checks pass") {
            try await agent.metric(checks) >= checkedBefore + 3
        }
        let history = try await AgentCommandTests.history(workspace)
        #expect(AgentCommandTests.attempts(history, revision: broken).map { $0["outcome"] as? String } == ["Failed"], "\(history)")
        #expect(AgentCommandTests.attempts(history, revision: first).count == 1, "the repeated webhooks recorded nothing: \(history)")
        let stalled = try await Self.status(workspace)
        #expect(stalled["errorClass"] as? String == "stalled", "\(stalled)")
        #expect((stalled["error"] as? String)?.contains("broken.yaml") == true, "\(stalled)")
        #expect(stalled["stalledRevision"] as? String == broken)
        #expect(stalled["lastAppliedRevision"] as? String == first)
        #expect(stalled["repo"] as? String == workspace.work.path)
        #expect(try await agent.metric(#"sluice_app_stalled{app="shop"}"#) == 1)
        #expect(try await agent.metric(#"sluice_app_last_outcome{app="shop",outcome="Failed"}"#) == 1)
        let text = try await workspace.sluice(["status", "--state-dir", workspace.state])
        #expect(text.output.contains("stalled: "), "\(text.output)")
        #expect(text.output.contains(" true "), "booleans read true/false: \(text.output)")

        try workspace.work.remove("app/broken.yaml")
        let fixed = try workspace.work.commit("remove the broken manifest")
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the fix is synced") {
            AgentCommandTests.attempts(try await AgentCommandTests.history(workspace), revision: fixed).contains { $0["outcome"] as? String == "Succeeded" }
        }
        let cleared = try await Self.status(workspace)
        #expect(cleared["stalled"] as? Bool == false, "\(cleared)")
        #expect(cleared["errorClass"] is NSNull, "\(cleared)")
        #expect(cleared["health"] as? String == "Healthy")
        #expect(try await agent.metric(#"sluice_app_stalled{app="shop"}"#) == 0)
        #expect(try await agent.metric(#"sluice_app_health{app="shop",status="Healthy"}"#) == 1)
        agent.process.stop()
    }

    @Test("a fetch error while stalled shows in status, and once the Git server is back the stall shows again, still not retried")
    func stalledThroughAFetchError() async throws {
        let workspace = try Workspace("agent-stalled-fetch")
        let daemon = try await GitDaemonServer.start()
        let bare = try daemon.createRepository(named: "deploy")
        try workspace.work.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata: {a: [1, 2\n", to: "app/broken.yaml")
        let broken = try workspace.work.commit("a broken manifest")
        try workspace.work.push(to: bare)
        let agent = try await RunningAgent(
            workspace, ["--repo", daemon.url(for: "deploy"), "--path", "app", "--app", "shop", "--interval", "1s", "--git-timeout", "5s"])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the broken commit stalls") {
            (try await Self.status(workspace))["errorClass"] as? String == "stalled"
        }
        daemon.stop()
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the failed check is in status") {
            (try await Self.status(workspace))["errorClass"] as? String == "fetch"
        }
        #expect((try await Self.status(workspace))["stalled"] as? Bool == true, "still stalled while the server is down")
        let restarted = try await GitDaemonServer.start(root: daemon.root, port: daemon.port)
        defer { restarted.stop() }
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the stall shows again") {
            (try await Self.status(workspace))["errorClass"] as? String == "stalled"
        }
        let status = try await Self.status(workspace)
        #expect(status["stalled"] as? Bool == true, "\(status)")
        #expect(status["stalledRevision"] as? String == broken)
        #expect(AgentCommandTests.attempts(try await AgentCommandTests.history(workspace), revision: broken).count == 1, "not retried")
        agent.process.stop()
    }
}
