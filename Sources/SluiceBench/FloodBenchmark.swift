import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport

/// `scripts/bench/api-flood`: `GET /api/v1/apps` under a flood of concurrent connections, against an
/// agent of 200 applications (one repository on a `git daemon`, a path per application, a
/// `sluice local-cluster` on loopback), and against nginx serving the same answer's bytes as a static
/// file on the same machine in the same run: the peer shows what the machine and the client allow.
///
/// Each round opens `--requests` connections at once (HTTPClientScript's `flood`: Python asyncio,
/// one `GET` per connection) and reports the time for all of them, the median and slowest answer, the
/// server's CPU time, and its resident memory before, at peak (sampled every 5 ms) and after.
/// Then a push announced by a webhook while a flood runs, beside one with no flood: the time from the
/// push to `Succeeded` (the aim: syncing unaffected).
enum FloodBenchmark {
    static let token = "bench-api-token"

    static func run(sluice: String, apps: Int, requests: Int, rounds: Int) async throws {
        let work = try TemporaryDirectory(label: "bench-flood")
        defer { work.remove() }
        let home = try work.makeSubdirectory("home")
        let environment = ["HOME": home.path, "KUBECONFIG": ""]
        let gitRoot = try work.makeSubdirectory("git")
        let daemon = try await GitDaemonServer.start(root: gitRoot)
        defer { daemon.stop() }

        let cluster = try ServedCluster.start(
            sluice, data: work.appending("cluster").path, environment: environment, log: work.appending("local-cluster.log"))
        defer { cluster.stop() }
        let kubeconfig = cluster.kubeconfig

        // One repository, a directory per application with one ConfigMap.
        let names = (0..<apps).map { String(format: "app%03d", $0) }
        let repository = try GitRepository(at: work.appending("work"))
        for name in names {
            try repository.write(AgentBenchmark.configMap("config-\(name)", value: "v1"), to: "apps/\(name)/config.yaml")
        }
        try repository.commit("\(apps) applications")
        let bare = gitRoot.appendingPathComponent("apps.git")
        try repository.push(to: try BareRepository(at: bare))
        let url = daemon.url(for: "apps")

        try Data(AgentBenchmark.secret.utf8).write(to: work.appending("webhook-secret"))
        let tokenFile = work.appending("api-token")
        try Data(Self.token.utf8).write(to: tokenFile)
        let config = work.appending("agent.yaml")
        try AgentBenchmark.writeConfig(names.map { AgentBenchmark.appEntry(name: $0, repo: url, path: "apps/\($0)", namespace: "default") }, to: config)

        print("API flood benchmark: GET /api/v1/apps, \(requests) connections at once, \(apps) applications, "
              + "\(ProcessInfo.processInfo.activeProcessorCount) cores; peer: nginx serving the same bytes as a static file")
        let agent = try AgentBenchmark.startAgent(
            sluice, config: config, state: work.appending("state").path, kubeconfig: kubeconfig,
            extra: ["--drift-interval", "0", "--api-token-file", tokenFile.path], environment: environment, log: work.appending("agent.log"))
        defer { agent.process.stop() }
        let firstStart = Date()
        try await AgentBenchmark.waitForAllSucceeded(agent, count: apps, timeout: 600)
        print(String(format: "first syncs of all %d applications: %.1f s", apps, Date().timeIntervalSince(firstStart)))

        var agentRounds: [Round] = []
        for index in 1...rounds {
            let round = try await Round(HTTPClientScript.run("flood", port: agent.port, ["\(requests)", "\(agent.process.pid)"], timeout: .seconds(300)))
            print("agent, round \(index): \(round)")
            agentRounds.append(round)
        }

        // The peer: nginx, one worker, serving the agent's answer from a file.
        let (_, answer) = try await agent.get("/api/v1/apps")
        let peer = try await StaticFileServer.start(body: Data(answer.utf8), at: "api/v1/apps")
        defer { peer.stop() }
        var peerRounds: [Round] = []
        for index in 1...rounds {
            let round = try await Round(HTTPClientScript.run("flood", port: Int(peer.port), ["\(requests)", "\(peer.workerPID)"], timeout: .seconds(300)))
            print("nginx, round \(index): \(round)")
            peerRounds.append(round)
        }
        let agentBest = agentRounds.map(\.seconds).min() ?? 0
        let peerBest = peerRounds.map(\.seconds).min() ?? 0
        let agentMedian = AgentBenchmark.median(agentRounds.map(\.median))
        let peerMedian = AgentBenchmark.median(peerRounds.map(\.median))
        let growth = agentRounds.map { $0.peak - $0.before }.max() ?? 0
        print(String(format: "all %d answered: agent best %.2f s (aim: within 2 s), nginx best %.2f s, agent/nginx %.1f×; "
                     + "median answer agent %.3f s, nginx %.3f s (%.1f×); agent memory grew at most %.1f MB during a round",
                     requests, agentBest, peerBest, agentBest / max(peerBest, 0.001), agentMedian, peerMedian,
                     agentMedian / max(peerMedian, 0.0001), Double(growth) / 1_000_000))

        // Syncing while a flood runs, beside syncing with none: a push to one application's path and
        // `POST /api/v1/apps/{app}/sync` for it. (A webhook for the repository would check all of its
        // applications, and the time would say where the one that changed fell among them.)
        func pushAndTime(_ name: String, flood: Bool) async throws -> (total: Double, webhook: Double, started: Double) {
            try repository.write(AgentBenchmark.configMap("config-\(name)", value: "v2"), to: "apps/\(name)/config.yaml")
            let revision = try repository.commit("change \(name)")
            try repository.push(to: bare.path, refspecs: ["HEAD:refs/heads/main"])
            let pushed = Date()
            async let flooded: [String: Any]? = flood
                ? HTTPClientScript.run("flood", port: agent.port, ["\(requests)", "\(agent.process.pid)"], timeout: .seconds(300)) : nil
            let status = try await requestSync(name, port: agent.port)
            let answered = Date().timeIntervalSince(pushed)
            guard status == 202 else { throw BenchError("POST /api/v1/apps/\(name)/sync answered \(status)") }
            let detail = try await agent.succeeded(app: name, revision: revision, deadline: Date().addingTimeInterval(120), poll: .milliseconds(50))
            let total = Date().timeIntervalSince(pushed)
            _ = try await flooded
            let started = AgentBenchmark.date(detail["startedAt"]).map { $0.timeIntervalSince(pushed) } ?? -1
            return (total, answered, started)
        }
        var quiet: [Double] = []
        var busy: [Double] = []
        for (index, name) in names.shuffled().prefix(2 * rounds).enumerated() {
            let flood = index % 2 == 1
            let timing = try await pushAndTime(name, flood: flood)
            print(String(format: "push + sync request to Succeeded, %@ (%@): %.2f s (sync request answered after %.2f s, attempt started after %.2f s)",
                         name, flood ? "during a flood" : "no flood", timing.total, timing.webhook, timing.started))
            if flood { busy.append(timing.total) } else { quiet.append(timing.total) }
        }
        let quietMedian = AgentBenchmark.median(quiet)
        let busyMedian = AgentBenchmark.median(busy)
        print(String(format: "push + sync request to Succeeded, median: %.2f s with no flood, %.2f s during a flood of %d (%.2f×)",
                     quietMedian, busyMedian, requests, busyMedian / max(quietMedian, 0.001)))
    }

    /// `POST /api/v1/apps/{app}/sync` with the token; the status.
    static func requestSync(_ app: String, port: Int) async throws -> Int {
        guard let url = URL(string: "http://127.0.0.1:\(port)/api/v1/apps/\(app)/sync") else { throw BenchError("bad URL") }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// One flood's figures, from HTTPClientScript's JSON.
    struct Round: CustomStringConvertible {
        var statuses: [String: Int]
        var seconds: Double
        var median: Double
        var slowest: Double
        var bytes: Int
        var before: Int
        var peak: Int
        var after: Int
        var serverCPU: Double

        init(_ json: [String: Any]) throws {
            guard let statuses = json["statuses"] as? [String: Int], let seconds = json["seconds"] as? Double,
                let median = json["median"] as? Double, let slowest = json["slowest"] as? Double,
                let before = json["rssBefore"] as? Int, let peak = json["rssPeak"] as? Int, let after = json["rssAfter"] as? Int
            else { throw BenchError("the flood printed \(json)") }
            self.statuses = statuses
            self.seconds = seconds
            self.median = median
            self.slowest = slowest
            self.bytes = json["bytes"] as? Int ?? 0
            self.before = before
            self.peak = peak
            self.after = after
            self.serverCPU = json["agentCPU"] as? Double ?? 0
            guard statuses.count == 1, statuses["200"] != nil else { throw BenchError("not every request was answered 200: \(statuses)") }
        }

        var description: String {
            let megabytes = { (bytes: Int) in String(format: "%.1f MB", Double(bytes) / 1_000_000) }
            return String(format: "%.2f s for all, median %.3f s, slowest %.3f s, %d bytes each; server CPU %.2f s; ", seconds, median, slowest, bytes, serverCPU)
                + "RSS \(megabytes(before)) before, \(megabytes(peak)) at peak (+\(megabytes(peak - before))), \(megabytes(after)) after"
        }
    }
}
