import Foundation
import Testing
import TestSupport

/// `GET /api/v1/apps` under a flood, against an agent of 200 applications: the answer comes from the
/// in-memory snapshot, so 500 requests at once cost no ledger scan each, little memory, and no
/// delay to syncing.
@Suite("sluice agent answers a flood of status requests from its snapshot", .timeLimit(.minutes(8)))
struct AgentFloodTests {
    typealias Workspace = SyncCommandTests.Workspace
    typealias RunningAgent = AgentCommandTests.RunningAgent

    /// How much the agent's resident memory may grow while it answers the flood.
    ///
    /// Every answer is the same ~190 KB buffer, made once and shared (a copy per request would be
    /// ~95 MB for 500). What grows is per connection: NIO's channel and pipeline, Hummingbird's
    /// request task, a receive buffer, and the kernel-side copies are not in the agent's RSS. At a
    /// generous 32 KiB per connection, 500 connections are 16 MiB; the bound leaves as much again
    /// for the allocator keeping freed pages.
    static let memoryBound = 32 * 1024 * 1024

    @Test("500 concurrent GET /api/v1/apps against 200 applications: all answered 200, bounded memory, and a pushed commit still syncs")
    func floodOfStatusRequests() async throws {
        let workspace = try Workspace("agent-flood")
        let names = (0..<200).map { String(format: "app%03d", $0) }
        for name in names {
            try workspace.work.write(SyncCommandTests.configMap("config-\(name)", ["v": "1"]), to: "apps/\(name)/config.yaml")
        }
        try workspace.work.commit("200 applications")
        let config = workspace.directory.appending("agent.yaml")
        let entries = names.map { "  - name: \($0)\n    repo: \(workspace.work.path)\n    path: apps/\($0)\n" }.joined()
        try Data(("apps:\n" + entries).utf8).write(to: config)
        let agent = try await RunningAgent(workspace, ["--config", config.path, "--interval", "5s", "--drift-interval", "0"])

        // Every application synced, as the snapshot shows it.
        func listed() async throws -> [[String: Any]] {
            let (status, body) = try await agent.get("/api/v1/apps")
            guard status == 200 else { return [] }
            return (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]]) ?? []
        }
        try await waitUntil(timeout: .seconds(240), poll: .seconds(1), "the 200 applications are synced") {
            let apps = try await listed()
            return apps.count == names.count && apps.allSatisfy { $0["lastOutcome"] as? String == "Succeeded" }
        }

        let flood = try await HTTPClientScript.run("flood", port: agent.port, ["500", "\(agent.process.pid)"])
        let statuses = try #require(flood["statuses"] as? [String: Int])
        let seconds = try #require(flood["seconds"] as? Double)
        let before = try #require(flood["rssBefore"] as? Int)
        let peak = try #require(flood["rssPeak"] as? Int)
        let after = try #require(flood["rssAfter"] as? Int)
        let megabytes = { (bytes: Int) in String(format: "%.1f MB", Double(bytes) / 1_000_000) }
        print(
            "flood of GET /api/v1/apps, 200 applications: 500 requests in \(String(format: "%.2f", seconds)) s, "
                + "median \(String(format: "%.3f", flood["median"] as? Double ?? 0)) s, slowest \(String(format: "%.3f", flood["slowest"] as? Double ?? 0)) s, "
                + "answer \(flood["bytes"] ?? 0) bytes; agent CPU \(String(format: "%.2f", flood["agentCPU"] as? Double ?? 0)) s, "
                + "client CPU \(String(format: "%.2f", flood["clientCPU"] as? Double ?? 0)) s; "
                + "agent RSS \(megabytes(before)) before, \(megabytes(peak)) at peak (+\(megabytes(peak - before))), \(megabytes(after)) after")
        #expect(statuses == ["200": 500], "\(flood)")
        // How fast is a figure (printed above), not an assertion: the suite's other tests share the
        // two cores, and 5.5 s was seen here for what takes 0.8 s alone.
        _ = seconds
        #expect(peak - before < Self.memoryBound, "\(flood)")

        // Syncing is unaffected: a pushed commit is synced at the next poll, and the snapshot shows it.
        try workspace.work.write(SyncCommandTests.configMap("config-app007", ["v": "2"]), to: "apps/app007/config.yaml")
        let pushed = try workspace.work.commit("change app007")
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "app007 syncs the pushed commit") {
            try await listed().contains { $0["app"] as? String == "app007" && $0["lastAppliedRevision"] as? String == pushed }
        }
        #expect(try await AgentCommandTests.configValue(workspace, "config-app007", "v") == "2")
        agent.process.stop()
    }
}
