import Foundation
import Testing
import TestSupport

/// While a sync waits, the agent's status says what it waits for.
@Suite("sluice agent's status shows what a running sync waits for", .timeLimit(.minutes(8)))
struct AgentProgressTests {
    typealias Workspace = SyncCommandTests.Workspace
    typealias RunningAgent = AgentCommandTests.RunningAgent

    /// A Deployment whose only container exits at once: with pods run as processes it never
    /// becomes available.
    static let crashingDeployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          replicas: 1
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
                - name: web
                  image: alpine:3.19
                  command: [sh, -c, "echo crashing; exit 1"]
                  # Without a readiness probe a container is ready while it runs, as the kubelet has it.
                  readinessProbe: {exec: {command: ["true"]}, initialDelaySeconds: 1, periodSeconds: 1}

        """

    @Test("a health wait that has not finished shows in GET /api/v1/apps as the phase and the object still waited for, with its health")
    func healthWaitShowsInStatus() async throws {
        let workspace = try Workspace("agent-progress")
        try workspace.work.write(Self.crashingDeployment, to: "app/web.yaml")
        try workspace.work.commit("a deployment that never becomes available")
        // A long health timeout: the sync is still waiting whenever the status is read.
        let agent = try await RunningAgent(workspace, ["--path", "app", "--app", "shop", "--interval", "1h", "--health-timeout", "10m"])
        var last: [String: Any] = [:]
        try await waitUntil(timeout: .seconds(120), poll: .milliseconds(500), "the status says what the sync waits for (last: \(last))") {
            let (status, body) = try await agent.get("/api/v1/apps")
            guard status == 200, let entries = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]],
                let entry = entries.first(where: { $0["app"] as? String == "shop" })
            else { return false }
            last = entry
            return (entry["message"] as? String)?.hasPrefix("waiting for Deployment ") == true
        }
        #expect(last["lastOutcome"] as? String == "Running", "\(last)")
        #expect(last["phase"] as? String != nil, "\(last)")
        let message = try #require(last["message"] as? String)
        // The object, its health, and how long the wait has gone on against its limit.
        #expect(message.contains("/web: "), "\(message)")
        #expect(message.contains("0 of 1 updated replicas are available"), "\(message)")
        #expect(message.hasSuffix(" of 10m)"), "\(message)")
        #expect(last["progressAt"] as? String != nil, "\(last)")
    }
}
