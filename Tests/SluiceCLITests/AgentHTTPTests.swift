import Foundation
import Testing
import TestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The HTTP surface of `sluice agent` as clients meet it: the real binary on loopback, with the
/// read API behind the token, `/metrics` on a listener of its own, the server's timeouts and
/// limits done to it by a raw client (HTTPClientScript), and repeated webhook deliveries.
@Suite("sluice agent's HTTP surface: API auth, limits, errors and webhook replay", .timeLimit(.minutes(8)))
struct AgentHTTPTests {
    typealias Workspace = SyncCommandTests.Workspace
    typealias RunningAgent = AgentCommandTests.RunningAgent

    /// One request with headers; the status, the body and the response's headers (lower-case names).
    static func request(
        _ port: Int, _ path: String, method: String = "GET", headers: [String: String] = [:], body: Data? = nil
    ) async throws -> (status: Int, body: String, headers: [String: String]) {
        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(path)")))
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http?.allHeaderFields ?? [:] { fields["\(name)".lowercased()] = "\(value)" }
        return (http?.statusCode ?? 0, String(decoding: data, as: UTF8.self), fields)
    }

    /// The port of the agent's `/metrics` listener, from its log (`metrics=127.0.0.1:PORT`).
    static func metricsPort(_ agent: RunningAgent) async throws -> Int {
        var port: Int?
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(100), "the agent serves /metrics on its own listener") {
            let log = agent.process.log()
            if let range = log.range(of: #"metrics=127\.0\.0\.1:\d+"#, options: .regularExpression) {
                port = Int(log[range].split(separator: ":").last ?? "")
            }
            return port != nil
        }
        return try #require(port)
    }

    /// A metric's value on the `/metrics` at `port`, 0 when absent.
    static func metric(_ port: Int, _ line: String) async throws -> Double {
        let text = try await request(port, "/metrics").body
        for row in text.split(separator: "\n") where row.hasPrefix(line + " ") {
            return Double(row.dropFirst(line.count + 1)) ?? 0
        }
        return 0
    }

    /// A JSON array of objects, compared as Foundation compares them (keys unordered).
    static func objects(_ text: String) -> NSArray? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? NSArray
    }

    @Test("--api-read-auth: the read API wants the token, probes stay open; /metrics moves to --metrics-listen; the snapshot answers what sluice status prints; errors name no path")
    func readAuthAndMetricsListener() async throws {
        let workspace = try Workspace("agent-read-auth")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let first = try workspace.work.commit("first")
        let tokenFile = workspace.directory.appending("api-token")
        try Data("read-token-456\n".utf8).write(to: tokenFile)

        // Without a token to want, the flag is refused before anything starts.
        let refused = try await workspace.sluice(
            ["agent", "--repo", workspace.work.path, "--state-dir", workspace.state, "--listen", "127.0.0.1:0", "--api-read-auth"])
        #expect(refused.exitCode == 2)
        #expect(refused.errorOutput.contains("--api-read-auth needs --api-token-file"), "\(refused.errorOutput)")
        #expect(!FileManager.default.fileExists(atPath: workspace.state + "/local-cluster"))

        let agent = try await RunningAgent(
            workspace,
            ["--path", "app", "--app", "shop", "--interval", "1h", "--drift-interval", "0", "--api-token-file", tokenFile.path, "--api-read-auth",
             "--metrics-listen", "127.0.0.1:0"])
        let metricsPort = try await Self.metricsPort(agent)
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the first commit is synced") {
            AgentCommandTests.attempts(try await AgentCommandTests.history(workspace), revision: first).contains { $0["outcome"] as? String == "Succeeded" }
        }
        let bearer = ["Authorization": "Bearer read-token-456"]

        // The probes stay open.
        #expect(try await Self.request(agent.port, "/healthz").status == 200)
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(200), "/readyz") { try await Self.request(agent.port, "/readyz").status == 200 }

        // Each read call wants the token.
        for path in ["/api/v1/apps", "/api/v1/apps/shop/history", "/api/v1/apps/shop/history/\(first.prefix(10))"] {
            let none = try await Self.request(agent.port, path)
            #expect(none.status == 401, "\(path): \(none.body)")
            #expect(!none.body.contains("revision"), "\(path): \(none.body)")
            #expect(try await Self.request(agent.port, path, headers: ["Authorization": "Bearer wrong"]).status == 401, "\(path)")
            let granted = try await Self.request(agent.port, path, headers: bearer)
            #expect(granted.status == 200, "\(path): \(granted.body)")
        }

        // /metrics is on its own listener, not on the main one.
        #expect(try await Self.request(agent.port, "/metrics").status == 404)
        let metrics = try await Self.request(metricsPort, "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.body.contains(#"sluice_syncs_total{app="shop",outcome="Succeeded"} 1"#), "\(metrics.body.prefix(2000))")

        // GET /api/v1/apps answers from the snapshot exactly what `sluice status --output json` reads from the ledger.
        var api = ""
        var status = ""
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(200), "the API and sluice status agree") {
            api = try await Self.request(agent.port, "/api/v1/apps", headers: bearer).body
            status = try await workspace.sluice(["status", "--state-dir", workspace.state, "--output", "json"]).output
            guard let fromAPI = Self.objects(api), let fromStatus = Self.objects(status) else { return false }
            return fromAPI == fromStatus
        }
        let listed = try #require(Self.objects(api) as? [[String: Any]])
        #expect(listed.first?["lastAppliedRevision"] as? String == first)
        #expect(listed.first?["lastOutcome"] as? String == "Succeeded")

        // A suspension through the API shows in the snapshot at once, not at the next tick (an hour away).
        let suspended = try await Self.request(agent.port, "/api/v1/apps/shop/suspend?reason=freeze", method: "POST", headers: bearer)
        #expect(suspended.status == 200, "\(suspended.body)")
        let entry = try #require(Self.objects(try await Self.request(agent.port, "/api/v1/apps", headers: bearer).body) as? [[String: Any]]).first
        #expect(entry?["suspended"] as? Bool == true)
        #expect(entry?["reason"] as? String == "freeze")

        // An error answers what is useful and names no file: the ledger's own message (with its path) goes to the log.
        let missing = try await Self.request(agent.port, "/api/v1/apps/shop/history/deadbeef", headers: bearer)
        #expect(missing.status == 404)
        #expect(missing.body == "no attempt of revision deadbeef of shop\n", "\(missing.body)")
        let malformed = try await Self.request(agent.port, "/api/v1/apps/shop/history/not-hex", headers: bearer)
        #expect(malformed.status == 400, "\(malformed.body)")
        for answer in [missing.body, malformed.body] {
            #expect(!answer.contains(workspace.directory.path) && !answer.contains("ledger.sqlite") && !answer.contains("/"), "\(answer)")
        }
        let log = agent.process.log()
        #expect(!log.contains("read-token-456"))
        agent.process.stop()
    }

    @Test("the server's limits, done to it: a silent connection, a trickled head and a trickled body are closed; one request over --max-requests-in-flight gets 503; 413 closes the connection")
    func serverLimits() async throws {
        let workspace = try Workspace("agent-limits")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        try workspace.work.commit("first")
        let secretFile = workspace.directory.appending("webhook-secret")
        try Data("limit-secret\n".utf8).write(to: secretFile)
        let agent = try await RunningAgent(
            workspace,
            ["--path", "app", "--app", "shop", "--interval", "1h", "--drift-interval", "0", "--webhook-secret-file", secretFile.path,
             "--max-requests-in-flight", "3", "--http-header-timeout", "1s", "--http-body-timeout", "3s", "--http-idle-timeout", "5s"])
        let port = agent.port

        // A client that connects and sends nothing is closed after the header timeout (1 s), well
        // before the idle timeout (5 s).
        let idle = try await HTTPClientScript.run("idle", port: port)
        let idleAfter = try #require(idle["closedAfter"] as? Double, "the silent connection stayed open: \(idle)")
        #expect(idleAfter >= 0.9 && idleAfter < 4, "\(idle)")

        // A head trickled one header line every 0.2 s (slowloris) is cut off, unanswered, though
        // bytes keep coming.
        let slowHead = try await HTTPClientScript.run("slow-header", port: port)
        let slowHeadAfter = try #require(slowHead["closedAfter"] as? Double, "the trickled head was not cut off: \(slowHead)")
        #expect(slowHeadAfter >= 0.9 && slowHeadAfter < 4, "\(slowHead)")
        #expect(slowHead["answered"] as? String == "")

        // A kept-alive connection waiting for its next request is closed after the idle timeout,
        // not the header one: the head's clock starts at the next request's first byte.
        let keptAlive = try await HTTPClientScript.run("keep-alive", port: port)
        #expect(keptAlive["status"] as? Int == 200)
        let keptAliveAfter = try #require(keptAlive["closedAfter"] as? Double, "the idle connection stayed open: \(keptAlive)")
        #expect(keptAliveAfter >= 4.9 && keptAliveAfter < 30, "\(keptAlive)")

        // A body trickled one byte every 0.2 s is cut off after the body timeout, though bytes keep coming.
        let slowBody = try await HTTPClientScript.run("slow-body", port: port)
        let slowBodyAfter = try #require(slowBody["closedAfter"] as? Double, "the trickled body was not cut off: \(slowBody)")
        #expect(slowBodyAfter >= 2.9 && slowBodyAfter < 30, "\(slowBody)")

        // Four signed webhooks held one byte short of their bodies: three are in flight, the fourth
        // is refused at once with 503 and Retry-After, and its connection closed; the three finish.
        let busy = try await HTTPClientScript.run("busy", port: port, ["3", "limit-secret"])
        let refused = try #require(busy["refused"] as? [[String: Any]])
        #expect(refused.count == 1, "\(busy)")
        #expect(refused.first?["status"] as? Int == 503)
        #expect(refused.first?["retryAfter"] as? String == "1")
        // Closed at once after the answer (not at the idle timeout, 5 s).
        #expect((refused.first?["closedAfter"] as? Double).map { $0 < 2 } == true, "\(busy)")
        #expect(busy["answeredEarly"] as? Int == 0)
        let completed = try #require(busy["completed"] as? [[String: Any]])
        #expect(completed.map { $0["status"] as? Int } == [202, 202, 202], "\(completed)")
        #expect(busy["after"] as? Int == 200)

        // A body over 1 MiB gets 413 and the connection is closed, whether announced or chunked.
        for form in ["length", "chunked"] {
            let large = try await HTTPClientScript.run("too-large", port: port, [form])
            #expect(large["status"] as? Int == 413, "\(form): \(large)")
            #expect(large["connection"] as? String == "close", "\(form): \(large)")
            // Closed at once after the answer (not at the idle timeout, 5 s).
            #expect((large["closedAfter"] as? Double).map { $0 < 2 } == true, "\(form): the connection stayed open: \(large)")
        }

        // Each is counted, and the agent goes on.
        #expect(try await Self.metric(port, #"sluice_http_read_timeouts_total{part="header"}"#) >= 2)
        #expect(try await Self.metric(port, #"sluice_http_read_timeouts_total{part="body"}"#) >= 1)
        #expect(try await Self.metric(port, "sluice_http_requests_refused_total") == 1)
        #expect(try await Self.metric(port, #"sluice_webhook_deliveries_total{forge="github",result="too_large"}"#) == 2)
        #expect(try await Self.metric(port, #"sluice_webhook_deliveries_total{forge="github",result="accepted"}"#) == 3)
        #expect(agent.process.isRunning)
        #expect(try await Self.request(port, "/healthz").status == 200)
        agent.process.stop()
    }

    @Test("a signed delivery sent twice: the second answers 200 as a duplicate and triggers nothing; an id is only taken after the signature is verified")
    func repeatedDelivery() async throws {
        let workspace = try Workspace("agent-replay")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let first = try workspace.work.commit("first")
        let secretFile = workspace.directory.appending("webhook-secret")
        try Data("replay-secret\n".utf8).write(to: secretFile)
        let tokenFile = workspace.directory.appending("api-token")
        try Data("replay-token\n".utf8).write(to: tokenFile)
        // An hour between polls: only webhooks and the API start a reconcile during the test.
        let agent = try await RunningAgent(
            workspace,
            ["--path", "app", "--app", "shop", "--interval", "1h", "--drift-interval", "0", "--webhook-secret-file", secretFile.path,
             "--api-token-file", tokenFile.path])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the first commit is synced") {
            AgentCommandTests.attempts(try await AgentCommandTests.history(workspace), revision: first).contains { $0["outcome"] as? String == "Succeeded" }
        }
        let payload = try JSONSerialization.data(withJSONObject: ["ref": "refs/heads/main", "repository": ["clone_url": "file://" + workspace.work.path]])
        let signed = ["X-Hub-Signature-256": AgentCommandTests.signature(payload, secret: "replay-secret"), "X-GitHub-Delivery": "delivery-1"]

        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "two"]), to: "app/settings.yaml")
        let second = try workspace.work.commit("second")
        let accepted = try await Self.request(agent.port, "/hooks/github", method: "POST", headers: signed, body: payload)
        #expect(accepted.status == 202, "\(accepted.body)")
        #expect(accepted.body.contains("shop"))
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the webhook's sync") {
            AgentCommandTests.attempts(try await AgentCommandTests.history(workspace), revision: second).contains { $0["outcome"] as? String == "Succeeded" }
        }

        // A new commit, then the same delivery again: answered 200 as a duplicate, and the commit is not synced by it.
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "three"]), to: "app/settings.yaml")
        let third = try workspace.work.commit("third")
        let repeated = try await Self.request(agent.port, "/hooks/github", method: "POST", headers: signed, body: payload)
        #expect(repeated.status == 200, "\(repeated.body)")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(repeated.body.utf8)) as? [String: Any])
        #expect(answer["duplicate"] as? Bool == true)
        #expect(answer["delivery"] as? String == "delivery-1")
        #expect((answer["reconciling"] as? [Any])?.isEmpty == true)
        #expect(try await agent.metric(#"sluice_webhook_deliveries_total{forge="github",result="duplicate"}"#) == 1)
        // The manual sync is what syncs the third commit: had the duplicate triggered a reconcile,
        // the commit would have an attempt of its own with trigger webhook before this one.
        let manual = try await Self.request(agent.port, "/api/v1/apps/shop/sync", method: "POST", headers: ["Authorization": "Bearer replay-token"])
        #expect(manual.status == 202)
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the manual sync of the third commit") {
            AgentCommandTests.attempts(try await AgentCommandTests.history(workspace), revision: third).contains { $0["outcome"] as? String == "Succeeded" }
        }
        let attempts = AgentCommandTests.attempts(try await AgentCommandTests.history(workspace), revision: third)
        #expect(attempts.map { $0["trigger"] as? String } == ["manual"], "\(attempts)")

        // A fresh id with a bad signature is refused, and does not use the id up.
        var forged = signed
        forged["X-GitHub-Delivery"] = "delivery-2"
        forged["X-Hub-Signature-256"] = AgentCommandTests.signature(payload, secret: "wrong")
        #expect(try await Self.request(agent.port, "/hooks/github", method: "POST", headers: forged, body: payload).status == 401)
        forged["X-Hub-Signature-256"] = signed["X-Hub-Signature-256"]
        let fresh = try await Self.request(agent.port, "/hooks/github", method: "POST", headers: forged, body: payload)
        #expect(fresh.status == 202, "\(fresh.body)")
        #expect(try await agent.metric(#"sluice_webhook_deliveries_total{forge="github",result="accepted"}"#) == 2)
        #expect(try await agent.metric(#"sluice_webhook_deliveries_total{forge="github",result="unauthorized"}"#) == 1)
        #expect(agent.process.log().contains("webhook ignored: this delivery was already accepted"))
        agent.process.stop()
    }
}
