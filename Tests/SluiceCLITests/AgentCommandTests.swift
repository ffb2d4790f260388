import Crypto
import Foundation
import Testing
import TestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `sluice agent` as users run it: the real binary following a repository, against the embedded
/// LocalCluster, observed through its HTTP endpoints and the ledger (`sluice history`).
@Suite("sluice agent delivers new commits, as a user runs it", .timeLimit(.minutes(8)))
struct AgentCommandTests {
    typealias Workspace = SyncCommandTests.Workspace

    /// A running `sluice agent` with its log and HTTP port.
    final class RunningAgent: Sendable {
        let process: BackgroundProcess
        let port: Int

        init(_ workspace: Workspace, _ arguments: [String], stateDir: String? = nil, environment: [String: String] = [:]) async throws {
            let log = workspace.directory.appending("agent-\(UUID().uuidString.prefix(8)).log")
            let source = arguments.contains("--config") || arguments.contains("--repo") ? [] : ["--repo", workspace.work.path]
            process = try BackgroundProcess(
                SluiceCLI.locate().executable.path,
                ["agent"] + source + ["--state-dir", stateDir ?? workspace.state, "--listen", "127.0.0.1:0"] + arguments,
                environment: workspace.environment.merging(environment) { $1 }, logFile: log)
            let process = self.process
            try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the agent listens") {
                process.log().contains("listening") || !process.isRunning
            }
            let text = process.log()
            // `address=127.0.0.1:PORT` in text logs, `"address":"127.0.0.1:PORT"` in JSON ones.
            guard let range = text.range(of: #"address["=:]+127\.0\.0\.1:\d+"#, options: .regularExpression),
                let port = Int(text[range].split(separator: ":").last ?? "")
            else { throw TestSupportError(.invalidArgument, "the agent did not say where it listens: \(text)") }
            self.port = port
        }

        deinit { process.stop() }

        func get(_ path: String) async throws -> (Int, String) {
            let url = try #require(URL(string: "http://127.0.0.1:\(port)\(path)"))
            let (data, response) = try await URLSession.shared.data(from: url)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }

        func post(_ path: String, body: Data, headers: [String: String]) async throws -> (Int, String) {
            var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(path)")))
            request.httpMethod = "POST"
            request.httpBody = body
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }

        /// The value of one metric line (`name{labels}`), 0 when absent.
        func metric(_ line: String) async throws -> Double {
            let (_, text) = try await get("/metrics")
            for row in text.split(separator: "\n") where row.hasPrefix(line + " ") {
                return Double(row.dropFirst(line.count + 1)) ?? 0
            }
            return 0
        }
    }

    /// `sluice history --output json` of the workspace: attempts newest first.
    static func history(_ workspace: Workspace) async throws -> [[String: Any]] {
        let result = try await workspace.sluice(["history", "--state-dir", workspace.state, "--output", "json"])
        guard result.exitCode == 0 else { return [] }
        return (try? JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]]) ?? []
    }

    static func attempts(_ history: [[String: Any]], revision: String) -> [[String: Any]] {
        history.filter { $0["revision"] as? String == revision }
    }

    @Test("a restarted agent resumes from the ledger: with the same settings it fetches and syncs nothing; with changed ones it syncs again")
    func restartResumesFromLedger() async throws {
        let workspace = try Workspace("agent-resume")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let first = try workspace.work.commit("first")
        let arguments = ["--path", "app", "--app", "shop", "--interval", "1s", "--drift-interval", "0"]
        let agent = try await RunningAgent(workspace, arguments)
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the first commit is synced") {
            Self.attempts(try await Self.history(workspace), revision: first).contains { $0["outcome"] as? String == "Succeeded" }
        }
        kill(agent.process.pid, SIGTERM)
        #expect(agent.process.waitForExit(within: .seconds(30)))

        // The same settings: checks go on, but no fetch and no sync.
        let resumed = try await RunningAgent(workspace, arguments)
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(500), "a few checks") {
            try await resumed.metric(#"sluice_fetch_duration_seconds_count{app="shop"}"#) >= 3
        }
        #expect(try await Self.history(workspace).count == 1)
        #expect(resumed.process.log().contains("resuming from the ledger"))
        kill(resumed.process.pid, SIGTERM)
        #expect(resumed.process.waitForExit(within: .seconds(30)))

        // Changed settings (no pruning): the revision is reconciled again, with the new settings.
        let changed = try await RunningAgent(workspace, arguments + ["--no-prune"])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "a new attempt under the new settings") {
            try await Self.history(workspace).count == 2
        }
        #expect(!changed.process.log().contains("resuming from the ledger"))
        changed.process.stop()
    }

    @Test("one agent per state directory; a sluice sync beside the agent's running sync waits for it instead of marking it Interrupted")
    func stateDirectoryLocks() async throws {
        let workspace = try Workspace("agent-locks")
        let cluster = try await SyncCommandTests.RunningCluster(workspace)
        defer { cluster.stop() }
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        // The hook runs until the test says go, so the agent's sync is still running when the manual one starts.
        let go = workspace.directory.appending("go")
        try workspace.work.write(
            SyncCommandTests.hookJob("migrate", hook: "PreSync", script: "while [ ! -e \(go.path) ]; do sleep 0.1; done; echo migrated"),
            to: "app/migrate.yaml")
        let first = try workspace.work.commit("first")
        let arguments = ["--path", "app", "--app", "shop", "--interval", "1h", "--kubeconfig", cluster.kubeconfig.path]
        let agent = try await RunningAgent(workspace, arguments)

        let second = try await workspace.sluice(
            ["agent", "--repo", workspace.work.path, "--state-dir", workspace.state, "--listen", "127.0.0.1:0"] + arguments)
        #expect(second.exitCode == 2)
        #expect(second.errorOutput.contains("in use by another sluice agent (pid \(agent.process.pid)"), "\(second.errorOutput)")

        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(200), "the agent's sync runs its hook") {
            Self.attempts(try await Self.history(workspace), revision: first).contains { $0["outcome"] as? String == "Running" }
        }
        let manual = try BackgroundProcess(
            SluiceCLI.locate().executable.path,
            ["sync", "--repo", workspace.work.path, "--path", "app", "--app", "shop", "--state-dir", workspace.state, "--kubeconfig", cluster.kubeconfig.path],
            environment: workspace.environment, logFile: workspace.directory.appending("manual-sync.log"))
        // The manual sync waits for the lock: it says so, and begins no attempt while the agent's runs.
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(200), "the manual sync waits for the lock") {
            manual.log().contains("waiting for another sync of the application to end") || !manual.isRunning
        }
        #expect(manual.log().contains("pid \(agent.process.pid): sync of shop"), "\(manual.log())")
        #expect(Self.attempts(try await Self.history(workspace), revision: first).count == 1)
        try Data().write(to: go)
        #expect(manual.waitForExit(within: .seconds(120)))
        let attempts = Self.attempts(try await Self.history(workspace), revision: first)
        #expect(attempts.count == 2)
        #expect(attempts.allSatisfy { $0["outcome"] as? String == "Succeeded" }, "\(attempts)")
        #expect(manual.log().contains("Succeeded"), "\(manual.log())")
        let byTrigger = Dictionary(uniqueKeysWithValues: attempts.map { ($0["trigger"] as? String ?? "", $0) })
        let agentEnd = try #require(Self.time(byTrigger["poll"]?["finishedAt"]))
        let manualStart = try #require(Self.time(byTrigger["manual"]?["startedAt"]))
        #expect(manualStart >= agentEnd.addingTimeInterval(-0.001))
        agent.process.stop()
    }

    static func time(_ value: Any?) -> Date? {
        guard let text = value as? String else { return nil }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }

    @Test("the poller syncs a pushed commit, idle polls sync nothing, and /readyz, /metrics and SIGTERM behave")
    func pollerDeliversCommits() async throws {
        let workspace = try Workspace("agent-poll")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let first = try workspace.work.commit("first")
        let agent = try await RunningAgent(workspace, ["--path", "app", "--app", "shop", "--interval", "1s"])

        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the first commit is synced") {
            Self.attempts(try await Self.history(workspace), revision: first).contains { $0["outcome"] as? String == "Succeeded" }
        }
        #expect(try await agent.get("/healthz").0 == 200)
        #expect(try await agent.get("/readyz").0 == 200)

        // Idle: several checks of the source, and still one sync.
        let checks = try await agent.metric(#"sluice_fetch_duration_seconds_count{app="shop"}"#)
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(100), "three more checks of the source") {
            try await agent.metric(#"sluice_fetch_duration_seconds_count{app="shop"}"#) >= checks + 3
        }
        #expect(try await agent.metric(#"sluice_syncs_total{app="shop",outcome="Succeeded"}"#) == 1)
        #expect(try await Self.history(workspace).count == 1)

        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "two"]), to: "app/settings.yaml")
        let second = try workspace.work.commit("second")
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the pushed commit is synced") {
            Self.attempts(try await Self.history(workspace), revision: second).contains { $0["outcome"] as? String == "Succeeded" }
        }
        let attempt = try #require(Self.attempts(try await Self.history(workspace), revision: second).first)
        #expect(attempt["trigger"] as? String == "poll")
        #expect(try await agent.metric(#"sluice_syncs_total{app="shop",outcome="Succeeded"}"#) == 2)
        #expect(try await agent.metric(#"sluice_last_applied_revision_info{app="shop",revision="\#(second)"}"#) == 1)
        #expect(try await agent.metric(#"sluice_last_applied_revision_info{app="shop",revision="\#(first)"}"#) == 0)

        kill(agent.process.pid, SIGTERM)
        #expect(agent.process.waitForExit(within: .seconds(30)))
    }

    @Test("--every-commit replays each new commit in order, each with its own PreSync migration and ledger entry")
    func everyCommitReplaysInOrder() async throws {
        let workspace = try Workspace("agent-every-commit")
        try workspace.work.write(SyncCommandTests.configMap("schema", ["version": "0"]), to: "app/schema.yaml")
        let base = try workspace.work.commit("base")
        let agent = try await RunningAgent(workspace, ["--path", "app", "--app", "shop", "--interval", "1s", "--every-commit"])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the base commit is synced") {
            Self.attempts(try await Self.history(workspace), revision: base).contains { $0["outcome"] as? String == "Succeeded" }
        }
        var revisions: [String] = []
        for version in 1...3 {
            try workspace.work.write(SyncCommandTests.configMap("schema", ["version": "\(version)"]), to: "app/schema.yaml")
            try workspace.work.write(
                SyncCommandTests.hookJob("migrate", hook: "PreSync", script: "echo migrating to schema \(version)"), to: "app/migrate.yaml")
            revisions.append(try workspace.work.commit("migration \(version)"))
        }
        try await waitUntil(timeout: .seconds(90), poll: .milliseconds(500), "the three migrations are synced") {
            let history = try await Self.history(workspace)
            return revisions.allSatisfy { revision in Self.attempts(history, revision: revision).contains { $0["outcome"] as? String == "Succeeded" } }
        }
        let history = try await Self.history(workspace)
        let starts = try revisions.map { revision in
            try #require(Self.time(Self.attempts(history, revision: revision).first?["startedAt"]))
        }
        #expect(starts == starts.sorted(), "the migrations ran out of order: \(starts)")
        for (index, revision) in revisions.enumerated() {
            #expect(Self.attempts(history, revision: revision).count == 1)
            let shown = try await workspace.sluice(["show", revision, "--app", "shop", "--state-dir", workspace.state, "--output", "json"])
            let tasks = try #require(try JSONSerialization.jsonObject(with: shown.stdout) as? [String: Any])["tasks"] as? [[String: Any]] ?? []
            let hook = tasks.first { $0["hook"] as? Bool == true && $0["phase"] as? String == "PreSync" }
            #expect((hook?["log"] as? String)?.contains("migrating to schema \(index + 1)") == true, "\(tasks)")
        }
        agent.process.stop()
    }

    @Test("a failing commit is retried with back-off, then superseded at once by a fixing commit")
    func retryThenSupersede() async throws {
        let workspace = try Workspace("agent-retry")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let first = try workspace.work.commit("first")
        let agent = try await RunningAgent(
            workspace, ["--path", "app", "--app", "shop", "--interval", "1s", "--retry-delay", "1s", "--retry-limit", "10"])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the first commit is synced") {
            Self.attempts(try await Self.history(workspace), revision: first).contains { $0["outcome"] as? String == "Succeeded" }
        }

        try workspace.work.write(
            SyncCommandTests.hookJob("migrate", hook: "PreSync", script: "echo 'migration failed'; exit 1"), to: "app/migrate.yaml")
        let failing = try workspace.work.commit("a broken migration")
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the failing commit is retried") {
            let attempts = Self.attempts(try await Self.history(workspace), revision: failing)
            return attempts.contains { $0["trigger"] as? String == "retry" && $0["outcome"] as? String == "Failed" }
        }

        try workspace.work.remove("app/migrate.yaml")
        let fixed = try workspace.work.commit("revert the migration")
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the fixing commit is synced") {
            Self.attempts(try await Self.history(workspace), revision: fixed).contains { $0["outcome"] as? String == "Succeeded" }
        }
        let history = try await Self.history(workspace)
        let outcomes = Self.attempts(history, revision: failing).map { $0["outcome"] as? String ?? "" }
        #expect(outcomes.first == "Superseded", "\(outcomes)")
        #expect(outcomes.dropFirst().allSatisfy { $0 == "Failed" })
        #expect(try await agent.metric(#"sluice_syncs_total{app="shop",outcome="Failed"}"#) >= 2)
        // Each outcome is an Event on the inventory ConfigMap, for kubectl describe and get events.
        let events = try await Self.events(workspace, app: "shop")
        #expect(events.contains { $0.reason == "SyncFailed" && $0.type == "Warning" && $0.message.contains("migrate") })
        #expect(events.contains { $0.reason == "SyncSucceeded" && $0.type == "Normal" && $0.message.contains(String(fixed.prefix(12))) })
        // They name the ConfigMap's uid, which kubectl describe looks them up by.
        let described = try await ProcessRunner.runAsync(
            "kubectl", ["--kubeconfig", workspace.kubeconfig.path, "describe", "configmap", "sluice-inventory-shop", "-n", "sluice-system"],
            environment: ["KUBECONFIG": "", "HOME": workspace.home], timeout: .seconds(60))
        #expect(described.output.contains("SyncSucceeded") && described.output.contains("SyncFailed"), "\(described.output)\(described.errorOutput)")
        // They were recorded through events.k8s.io/v1, as client-go's recorder records them: the
        // controller and this replica, the action, an eventTime in microseconds, `<object>.<hex>` names.
        let viewed = try await ProcessRunner.runAsync(
            "kubectl", ["--kubeconfig", workspace.kubeconfig.path, "get", "events.events.k8s.io", "-n", "sluice-system", "-o", "json"],
            environment: ["KUBECONFIG": "", "HOME": workspace.home], timeout: .seconds(60))
        let listed = try #require(try JSONSerialization.jsonObject(with: viewed.stdout) as? [String: Any], "\(viewed.errorOutput)")
        let recorded = (listed["items"] as? [[String: Any]] ?? []).filter {
            ($0["regarding"] as? [String: Any])?["name"] as? String == "sluice-inventory-shop"
        }
        #expect(recorded.count >= events.count && !recorded.isEmpty, "\(recorded)")
        for event in recorded {
            #expect(event["reportingController"] as? String == "sluice.dev/agent", "\(event)")
            #expect((event["reportingInstance"] as? String)?.isEmpty == false, "\(event)")
            #expect(event["action"] as? String == "Sync", "\(event)")
            #expect((event["eventTime"] as? String)?.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"#, options: .regularExpression) != nil, "\(event)")
            let name = (event["metadata"] as? [String: Any])?["name"] as? String ?? ""
            #expect(name.range(of: #"^sluice-inventory-shop\.[0-9a-f]+$"#, options: .regularExpression) != nil, "\(name)")
        }
        agent.process.stop()
    }

    static func signature(_ body: Data, secret: String) -> String {
        "sha256=" + HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
            .map { String(format: "%02x", $0) }.joined()
    }

    @Test("a signed push webhook syncs at once, a bad signature does nothing, and the API reads the ledger and takes sync requests")
    func webhookAndAPI() async throws {
        let workspace = try Workspace("agent-webhook")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let first = try workspace.work.commit("first")
        let secretFile = workspace.directory.appending("webhook-secret")
        try Data("hook-secret\n".utf8).write(to: secretFile)
        let tokenFile = workspace.directory.appending("api-token")
        try Data("api-token-123\n".utf8).write(to: tokenFile)
        // An hour between polls: only the webhook and the API can start a sync during the test.
        let agent = try await RunningAgent(
            workspace,
            ["--path", "app", "--app", "shop", "--interval", "1h", "--webhook-secret-file", secretFile.path, "--api-token-file", tokenFile.path])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the first commit is synced") {
            Self.attempts(try await Self.history(workspace), revision: first).contains { $0["outcome"] as? String == "Succeeded" }
        }

        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "two"]), to: "app/settings.yaml")
        let second = try workspace.work.commit("second")
        let payload = try JSONSerialization.data(withJSONObject: ["ref": "refs/heads/main", "repository": ["clone_url": "file://" + workspace.work.path]])

        // A bad signature is refused and starts nothing; nor does a payload naming another repository.
        let refused = try await agent.post("/hooks/github", body: payload, headers: ["X-Hub-Signature-256": Self.signature(payload, secret: "wrong")])
        #expect(refused.0 == 401)
        let elsewhere = try JSONSerialization.data(withJSONObject: ["repository": ["clone_url": "https://github.com/other/repo.git"]])
        let other = try await agent.post("/hooks/github", body: elsewhere, headers: ["X-Hub-Signature-256": Self.signature(elsewhere, secret: "hook-secret")])
        #expect(other.0 == 202)
        #expect(!other.1.contains("shop"))
        #expect(Self.attempts(try await Self.history(workspace), revision: second).isEmpty)

        let accepted = try await agent.post("/hooks/github", body: payload, headers: ["X-Hub-Signature-256": Self.signature(payload, secret: "hook-secret")])
        #expect(accepted.0 == 202)
        #expect(accepted.1.contains("shop"))
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(500), "the webhook's sync") {
            Self.attempts(try await Self.history(workspace), revision: second).contains { $0["outcome"] as? String == "Succeeded" }
        }
        let synced = try #require(Self.attempts(try await Self.history(workspace), revision: second).first)
        #expect(synced["trigger"] as? String == "webhook")

        // The read API has the CLI's JSON.
        let apps = try await agent.get("/api/v1/apps")
        #expect(apps.0 == 200)
        // The same JSON as `sluice status --output json`.
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(apps.1.utf8)) as? [[String: Any]])
        #expect(listed.map { $0["app"] as? String } == ["shop"])
        #expect(listed.first?["lastAppliedRevision"] as? String == second)
        #expect(listed.first?["health"] as? String == "Healthy")
        let history = try await agent.get("/api/v1/apps/shop/history")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(history.1.utf8)) as? [[String: Any]])
        #expect(entries.first?["revision"] as? String == second)
        let detail = try await agent.get("/api/v1/apps/shop/history/\(second.prefix(10))")
        #expect(detail.0 == 200)
        #expect(detail.1.contains("\"tasks\""))
        #expect(try await agent.get("/api/v1/apps/nobody/history").0 == 404)

        // The sync API wants the token; with it, a manual sync runs.
        #expect(try await agent.post("/api/v1/apps/shop/sync", body: Data(), headers: [:]).0 == 401)
        #expect(try await agent.post("/api/v1/apps/shop/sync", body: Data(), headers: ["Authorization": "Bearer wrong"]).0 == 401)
        let requested = try await agent.post("/api/v1/apps/shop/sync", body: Data(), headers: ["Authorization": "Bearer api-token-123"])
        #expect(requested.0 == 202)
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(500), "the manual sync") {
            Self.attempts(try await Self.history(workspace), revision: second).contains { $0["trigger"] as? String == "manual" }
        }
        // Nothing the agent logged or answered holds the secrets.
        let log = agent.process.log()
        #expect(!log.contains("hook-secret") && !log.contains("api-token-123"))
        agent.process.stop()
    }

    static func appHistory(_ workspace: Workspace, _ app: String) async throws -> [[String: Any]] {
        try await Self.history(workspace).filter { $0["app"] as? String == app }
    }

    @Test("a configuration file runs many applications, and edits to it start and stop them without a restart")
    func configurationFile() async throws {
        let workspace = try Workspace("agent-config")
        for name in ["a", "b", "c"] {
            try workspace.work.write(SyncCommandTests.configMap("config-\(name)", ["v": "1"]), to: "apps/\(name)/config.yaml")
        }
        try workspace.work.commit("three apps")
        let config = workspace.directory.appending("agent.yaml")
        func writeConfig(_ apps: [String]) throws {
            let entries = apps.map { "  - name: \($0)\n    repo: \(workspace.work.path)\n    path: apps/\($0)\n" }.joined()
            // Written whole and renamed into place, as editors and ConfigMap mounts do.
            let temporary = workspace.directory.appending("agent.yaml.tmp")
            try Data(("apps:\n" + entries).utf8).write(to: temporary)
            guard rename(temporary.path, config.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
        try writeConfig(["a", "b"])
        let agent = try await RunningAgent(workspace, ["--config", config.path, "--interval", "1s"])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "a and b are synced") {
            let history = try await Self.history(workspace)
            return ["a", "b"].allSatisfy { app in history.contains { $0["app"] as? String == app && $0["outcome"] as? String == "Succeeded" } }
        }

        // b leaves, c arrives: c is synced without a restart; b is not followed any more.
        try writeConfig(["a", "c"])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "c is synced") {
            try await Self.appHistory(workspace, "c").contains { $0["outcome"] as? String == "Succeeded" }
        }
        try workspace.work.write(SyncCommandTests.configMap("config-a", ["v": "2"]), to: "apps/a/config.yaml")
        try workspace.work.write(SyncCommandTests.configMap("config-b", ["v": "2"]), to: "apps/b/config.yaml")
        let second = try workspace.work.commit("change a and b")
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "a follows the new commit") {
            try await Self.appHistory(workspace, "a").contains { $0["revision"] as? String == second }
        }
        #expect(try await Self.appHistory(workspace, "b").allSatisfy { $0["revision"] as? String != second })

        // A broken edit is refused; the running applications go on.
        try Data("apps:\n  - name: a\n    path: apps/a\n".utf8).write(to: config)
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(500), "the broken edit is refused") {
            agent.process.log().contains("apps[0].repo: required")
        }
        #expect(agent.process.isRunning)
        #expect(try await agent.get("/healthz").0 == 200)
        agent.process.stop()
    }

    @Test("an invalid configuration file is refused at start, naming the file and the field")
    func invalidConfigurationAtStart() async throws {
        let workspace = try Workspace("agent-config-invalid")
        let config = workspace.directory.appending("broken.yaml")
        try Data("apps:\n  - name: shop\n    branch: main\n    timeout: soon\n".utf8).write(to: config)
        let result = try await workspace.sluice(["agent", "--config", config.path, "--state-dir", workspace.state])
        #expect(result.exitCode == 2)
        #expect(result.errorOutput.contains("broken.yaml: apps[0].repo: required"), "\(result.errorOutput)")
        #expect(result.errorOutput.contains("broken.yaml: apps[0].timeout: 'soon' is not a duration"), "\(result.errorOutput)")
        #expect(!FileManager.default.fileExists(atPath: workspace.state + "/local-cluster"))
    }

    @Test("a suspended application syncs nothing until resumed, with the reason in status")
    func suspendAndResume() async throws {
        let workspace = try Workspace("agent-suspend")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let first = try workspace.work.commit("first")
        let agent = try await RunningAgent(workspace, ["--path", "app", "--app", "shop", "--interval", "1s"])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the first commit is synced") {
            Self.attempts(try await Self.history(workspace), revision: first).contains { $0["outcome"] as? String == "Succeeded" }
        }

        let suspend = try await workspace.sluice(["suspend", "--app", "shop", "--reason", "change freeze", "--state-dir", workspace.state])
        #expect(suspend.exitCode == 0, "\(suspend.errorOutput)")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "two"]), to: "app/settings.yaml")
        let second = try workspace.work.commit("second")
        // A tick passes while suspended (the agent records each tick's next check time): nothing is synced.
        let status = { () async throws -> [String: Any] in
            let result = try await workspace.sluice(["status", "--app", "shop", "--state-dir", workspace.state, "--output", "json"])
            return try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]]).first ?? [:]
        }
        let before = try await status()["nextCheckAt"] as? String
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(500), "two more ticks") {
            let now = try await status()["nextCheckAt"] as? String
            return now != nil && now != before
        }
        let later = try await status()["nextCheckAt"] as? String
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(500), "one more tick") {
            try await status()["nextCheckAt"] as? String != later
        }
        #expect(Self.attempts(try await Self.history(workspace), revision: second).isEmpty)
        let suspended = try await status()
        #expect(suspended["suspended"] as? Bool == true)
        #expect(suspended["reason"] as? String == "change freeze")
        #expect(suspended["lastAppliedRevision"] as? String == first)
        #expect(suspended["repo"] as? String == workspace.work.path)
        let text = try await workspace.sluice(["status", "--state-dir", workspace.state])
        #expect(text.output.contains("suspended: change freeze"), "\(text.output)")

        let resume = try await workspace.sluice(["resume", "--app", "shop", "--state-dir", workspace.state])
        #expect(resume.exitCode == 0)
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the held commit is synced after resuming") {
            Self.attempts(try await Self.history(workspace), revision: second).contains { $0["outcome"] as? String == "Succeeded" }
        }
        let resumed = try await status()
        #expect(resumed["suspended"] as? Bool == false)
        #expect(resumed["lastAppliedRevision"] as? String == second)
        #expect(resumed["lastOutcome"] as? String == "Succeeded")
        agent.process.stop()
    }

    /// The value of `data.KEY` of a ConfigMap in the cluster the agent serves from STATE/local-cluster.
    static func configValue(_ workspace: Workspace, _ name: String, _ key: String) async throws -> String {
        let result = try await ProcessRunner.runAsync(
            "kubectl", ["--kubeconfig", workspace.kubeconfig.path, "get", "configmap", name, "-o", "jsonpath={.data.\(key)}"],
            environment: ["KUBECONFIG": "", "HOME": workspace.home], timeout: .seconds(60))
        return result.trimmedOutput
    }

    /// The reasons and types of the Events on the application's inventory ConfigMap.
    static func events(_ workspace: Workspace, app: String) async throws -> [(reason: String, type: String, message: String)] {
        let result = try await ProcessRunner.runAsync(
            "kubectl", ["--kubeconfig", workspace.kubeconfig.path, "get", "events", "-n", "sluice-system", "-o", "json"],
            environment: ["KUBECONFIG": "", "HOME": workspace.home], timeout: .seconds(60))
        let list = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "\(result.errorOutput)")
        let items = list["items"] as? [[String: Any]] ?? []
        return items.compactMap { item in
            guard (item["involvedObject"] as? [String: Any])?["name"] as? String == "sluice-inventory-\(app)" else { return nil }
            return (item["reason"] as? String ?? "", item["type"] as? String ?? "", item["message"] as? String ?? "")
        }
    }

    @Test("rollback re-applies an earlier revision; the agent leaves the quarantined head and commits elsewhere in the repository alone, and follows the next commit under the path")
    func rollbackAndQuarantine() async throws {
        let workspace = try Workspace("agent-rollback")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let first = try workspace.work.commit("first")
        let agent = try await RunningAgent(workspace, ["--path", "app", "--app", "shop", "--interval", "1s"])
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "two"]), to: "app/settings.yaml")
        let second = try workspace.work.commit("second")
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the second commit is synced") {
            Self.attempts(try await Self.history(workspace), revision: second).contains { $0["outcome"] as? String == "Succeeded" }
        }
        #expect(try await Self.configValue(workspace, "settings", "mode") == "two")

        // Only the application: its repository and path come from the ledger.
        let rollback = try await workspace.sluice(["rollback", String(first.prefix(8)), "--app", "shop", "--state-dir", workspace.state, "--output", "json"])
        #expect(rollback.exitCode == 0, "\(rollback.errorOutput)")
        let record = try #require(try JSONSerialization.jsonObject(with: rollback.stdout) as? [String: Any])
        #expect(record["trigger"] as? String == "rollback")
        #expect(record["outcome"] as? String == "Succeeded")
        #expect(try await Self.configValue(workspace, "settings", "mode") == "one")

        // Several ticks later, the quarantined head has not been applied again.
        let status = { () async throws -> [String: Any] in
            let result = try await workspace.sluice(["status", "--app", "shop", "--state-dir", workspace.state, "--output", "json"])
            return try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]]).first ?? [:]
        }
        var ticks = Set<String>()
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(500), "three ticks") {
            if let next = try await status()["nextCheckAt"] as? String { ticks.insert(next) }
            return ticks.count >= 3
        }
        #expect(try await Self.configValue(workspace, "settings", "mode") == "one")
        #expect(Self.attempts(try await Self.history(workspace), revision: second).count == 1)
        #expect(try await status()["quarantined"] as? [String] == [second])

        // A commit elsewhere in the repository does not undo the rollback: it joins the quarantine.
        try workspace.work.write("# docs\n", to: "README.md")
        let elsewhere = try workspace.work.commit("docs only")
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(500), "the commit elsewhere joins the quarantine") {
            (try await status()["quarantined"] as? [String])?.contains(elsewhere) == true
        }
        #expect(try await Self.configValue(workspace, "settings", "mode") == "one")
        #expect(Self.attempts(try await Self.history(workspace), revision: elsewhere).isEmpty)

        // A commit that changes the application's path: the agent follows the ref again.
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "three"]), to: "app/settings.yaml")
        let third = try workspace.work.commit("third")
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the third commit is synced") {
            Self.attempts(try await Self.history(workspace), revision: third).contains { $0["outcome"] as? String == "Succeeded" }
        }
        #expect(try await Self.configValue(workspace, "settings", "mode") == "three")
        #expect(try await status()["quarantined"] as? [String] == [])
        agent.process.stop()
    }

    @Test("rollback works with the Git server down, from what the mirror and ledger hold")
    func rollbackWithGitDown() async throws {
        let workspace = try Workspace("rollback-git-down")
        let daemon = try await GitDaemonServer.start()
        defer { daemon.stop() }
        let bare = try daemon.createRepository(named: "deploy")
        let url = daemon.url(for: "deploy")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let first = try workspace.work.commit("first")
        try workspace.work.push(to: bare)
        let source = ["--repo", url, "--path", "app", "--app", "shop", "--state-dir", workspace.state]
        #expect(try await workspace.sluice(["sync"] + source).exitCode == 0)
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "two"]), to: "app/settings.yaml")
        try workspace.work.commit("second")
        try workspace.work.push(to: bare)
        #expect(try await workspace.sluice(["sync"] + source).exitCode == 0)

        daemon.stop()
        let rollback = try await workspace.sluice(["rollback", first] + source + ["--output", "json"])
        #expect(rollback.exitCode == 0, "\(rollback.errorOutput)")
        let record = try #require(try JSONSerialization.jsonObject(with: rollback.stdout) as? [String: Any])
        #expect(record["revision"] as? String == first)
        #expect(record["trigger"] as? String == "rollback")
        #expect(record["outcome"] as? String == "Succeeded")
        let changes = try #require(record["changes"] as? [String: Any])
        #expect((changes["configured"] as? [String]) == ["/ConfigMap/default/settings"])
    }

    @Test("an agent killed mid-sync is restarted: the attempt becomes Interrupted and the revision is synced again")
    func killedMidSync() async throws {
        let workspace = try Workspace("agent-kill")
        let marker = workspace.directory.appending("migration-started").path
        // The migration hangs the first time (until the agent is killed) and passes the second.
        try workspace.work.write(
            SyncCommandTests.hookJob("migrate", hook: "PreSync", script: "if [ -f \(marker) ]; then echo resumed; else touch \(marker); sleep 60; fi"),
            to: "app/migrate.yaml")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let revision = try workspace.work.commit("with a migration")
        let first = try await RunningAgent(workspace, ["--path", "app", "--app", "shop", "--interval", "1s"])
        // The agent's own log says when the hook runs (reading it costs nothing, unlike a `sluice
        // history` per poll on a busy machine); the migration then sleeps far longer than that takes.
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(100), "the migration runs") {
            FileManager.default.fileExists(atPath: marker) && first.process.log().contains("hook PreSync Job default/migrate: running")
        }
        kill(first.process.pid, SIGKILL)
        #expect(first.process.waitForExit(within: .seconds(30)))

        let second = try await RunningAgent(workspace, ["--path", "app", "--app", "shop", "--interval", "1s"])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the revision is synced again") {
            Self.attempts(try await Self.history(workspace), revision: revision).contains { $0["outcome"] as? String == "Succeeded" }
        }
        let outcomes = Self.attempts(try await Self.history(workspace), revision: revision).map { $0["outcome"] as? String ?? "" }
        #expect(
            outcomes == ["Succeeded", "Interrupted"],
            "first agent:\n\(first.process.log().suffix(6000))\nsecond agent:\n\(second.process.log().suffix(6000))")
        #expect(try await Self.configValue(workspace, "settings", "mode") == "one")
        second.process.stop()
    }

    @Test("with the Git server down for a while the agent keeps running, counts the errors and shows a fetch error in status, then recovers when it is back")
    func gitServerDownAndBack() async throws {
        let workspace = try Workspace("agent-git-down")
        let daemon = try await GitDaemonServer.start()
        let bare = try daemon.createRepository(named: "deploy")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let first = try workspace.work.commit("first")
        try workspace.work.push(to: bare)
        let agent = try await RunningAgent(
            workspace, ["--repo", daemon.url(for: "deploy"), "--path", "app", "--app", "shop", "--interval", "1s", "--git-timeout", "5s"])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the first commit is synced") {
            Self.attempts(try await Self.history(workspace), revision: first).contains { $0["outcome"] as? String == "Succeeded" }
        }

        daemon.stop()
        let errors = #"sluice_fetch_errors_total{app="shop"}"#
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "failed checks are counted") {
            try await agent.metric(errors) >= 2
        }
        #expect(agent.process.isRunning)
        #expect(try await agent.get("/healthz").0 == 200)
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the failed check is in status") {
            (try await AgentOutcomeTests.status(workspace))["errorClass"] as? String == "fetch"
        }
        let down = try await AgentOutcomeTests.status(workspace)
        #expect((down["error"] as? String)?.contains("127.0.0.1") == true, "\(down)")
        #expect(down["stalled"] as? Bool == false, "a server that is down is retried, not stalled")

        // Back, with a new commit: the agent picks it up.
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "two"]), to: "app/settings.yaml")
        let second = try workspace.work.commit("second")
        try workspace.work.push(to: bare)
        let restarted = try await GitDaemonServer.start(root: daemon.root, port: daemon.port)
        defer { restarted.stop() }
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the commit pushed while the server was down is synced") {
            Self.attempts(try await Self.history(workspace), revision: second).contains { $0["outcome"] as? String == "Succeeded" }
        }
        #expect(try await Self.configValue(workspace, "settings", "mode") == "two")
        #expect((try await AgentOutcomeTests.status(workspace))["errorClass"] is NSNull, "the error clears when the server is back")
        agent.process.stop()
    }

    @Test("--log-format json writes each log line as one JSON object with the app and revision")
    func jsonLogs() async throws {
        let workspace = try Workspace("agent-json-logs")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let first = try workspace.work.commit("first")
        let agent = try await RunningAgent(workspace, ["--path", "app", "--app", "shop", "--interval", "1s", "--log-format", "json"])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the first commit is synced") {
            agent.process.log().contains("sync finished")
        }
        let lines = agent.process.log().split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(object["level"] != nil && object["message"] != nil && object["time"] != nil)
        }
        let finished = try #require(lines.first { $0.contains("sync finished") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(finished.utf8)) as? [String: Any])
        #expect(object["app"] as? String == "shop")
        #expect(object["revision"] as? String == first)
        agent.process.stop()
    }

    /// Changes a ConfigMap's data behind Sluice's back, as a person with kubectl would.
    static func editOutOfBand(_ workspace: Workspace, _ name: String, _ patch: String) async throws {
        let result = try await ProcessRunner.runAsync(
            "kubectl", ["--kubeconfig", workspace.kubeconfig.path, "patch", "configmap", name, "--type", "merge", "-p", patch],
            environment: ["KUBECONFIG": "", "HOME": workspace.home], timeout: .seconds(60))
        #expect(result.exitCode == 0, "\(result.errorOutput)")
    }

    @Test("drift and health are reported in status, metrics and an Event, and with --self-heal corrected without hooks")
    func driftReportedThenHealed() async throws {
        let workspace = try Workspace("agent-drift")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        try workspace.work.write(SyncCommandTests.configMap("extra", ["mode": "one"]), to: "app/extra.yaml")
        try workspace.work.write(SyncCommandTests.hookJob("migrate", hook: "PreSync", script: "echo migrated"), to: "app/migrate.yaml")
        let first = try workspace.work.commit("first")
        let reporter = try await RunningAgent(workspace, ["--path", "app", "--app", "shop", "--interval", "1s", "--drift-interval", "1s"])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the first commit is synced") {
            Self.attempts(try await Self.history(workspace), revision: first).contains { $0["outcome"] as? String == "Succeeded" }
        }
        let status = { () async throws -> [String: Any] in
            let result = try await workspace.sluice(["status", "--app", "shop", "--state-dir", workspace.state, "--output", "json"])
            return try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]]).first ?? [:]
        }
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(500), "a drift check finds nothing") {
            try await status()["driftCheckedAt"] as? String != nil
        }
        #expect((try await status()["drift"] as? [String]) == [])
        #expect(try await status()["health"] as? String == "Healthy")
        // The first sync's phases and its PreSync hook are in the histograms.
        #expect(try await reporter.metric(#"sluice_phase_duration_seconds_count{app="shop",phase="PreSync"}"#) == 1)
        #expect(try await reporter.metric(#"sluice_phase_duration_seconds_count{app="shop",phase="Sync"}"#) == 1)
        #expect(try await reporter.metric(#"sluice_hook_duration_seconds_count{app="shop",phase="PreSync"}"#) == 1)

        // One object edited by hand, another deleted.
        try await Self.editOutOfBand(workspace, "settings", #"{"data":{"mode":"changed-by-hand"}}"#)
        let deleted = try await ProcessRunner.runAsync(
            "kubectl", ["--kubeconfig", workspace.kubeconfig.path, "delete", "configmap", "extra"],
            environment: ["KUBECONFIG": "", "HOME": workspace.home], timeout: .seconds(60))
        #expect(deleted.exitCode == 0, "\(deleted.errorOutput)")
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(500), "the drift is reported") {
            (try await status()["drift"] as? [String]) == ["/ConfigMap/default/extra", "/ConfigMap/default/settings"]
        }
        let reported = try await status()
        #expect(reported["health"] as? String == "Missing")
        #expect((reported["healthMessage"] as? String)?.contains("ConfigMap default/extra") == true, "\(reported)")
        let table = try await workspace.sluice(["status", "--state-dir", workspace.state])
        #expect(table.trimmedOutput.contains("HEALTH") && table.trimmedOutput.contains("Missing"), "\(table.trimmedOutput)")
        #expect(try await reporter.metric(#"sluice_drifted_objects_count{app="shop"}"#) == 2)
        #expect(try await Self.events(workspace, app: "shop").contains { $0.reason == "DriftDetected" && $0.message.contains("/ConfigMap/default/settings") })
        // Reported only: the hand edit stays.
        #expect(try await Self.configValue(workspace, "settings", "mode") == "changed-by-hand")
        kill(reporter.process.pid, SIGTERM)
        #expect(reporter.process.waitForExit(within: .seconds(30)))

        let healer = try await RunningAgent(workspace, ["--path", "app", "--app", "shop", "--interval", "1s", "--drift-interval", "1s", "--self-heal"])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the drift is corrected") {
            let settings = try await Self.configValue(workspace, "settings", "mode")
            let extra = try await Self.configValue(workspace, "extra", "mode")
            return settings == "one" && extra == "one"
        }
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(500), "the next drift check finds it healthy") {
            let entry = try await status()
            return entry["health"] as? String == "Healthy" && (entry["drift"] as? [String]) == []
        }
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(500), "the self-heal is recorded") {
            Self.attempts(try await Self.history(workspace), revision: first).contains { $0["trigger"] as? String == "self-heal" && $0["outcome"] as? String == "Succeeded" }
        }
        // No hook ran for the correction.
        let heal = try #require(Self.attempts(try await Self.history(workspace), revision: first).first { $0["trigger"] as? String == "self-heal" })
        let number = try #require(heal["attempt"] as? Int)
        let shown = try await workspace.sluice(["show", first, "--app", "shop", "--attempt", "\(number)", "--state-dir", workspace.state, "--output", "json"])
        let tasks = try #require(try JSONSerialization.jsonObject(with: shown.stdout) as? [String: Any])["tasks"] as? [[String: Any]] ?? []
        #expect(tasks.map { $0["name"] as? String ?? "" }.sorted() == ["extra", "settings"])
        healer.process.stop()
    }

    @Test("of two agents electing a leader with a Lease one syncs; when it is killed the other takes over within the lease")
    func leaderElection() async throws {
        let workspace = try Workspace("agent-leader")
        let cluster = try await SyncCommandTests.RunningCluster(workspace)
        defer { cluster.stop() }
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let first = try workspace.work.commit("first")
        let states = [workspace.directory.appending("replica-a").path, workspace.directory.appending("replica-b").path]
        let arguments = ["--path", "app", "--app", "shop", "--interval", "1s", "--kubeconfig", workspace.kubeconfig.path, "--leader-elect", "--lease-duration", "3s"]
        // Each replica has a Pod, as in a cluster (the Downward API gives its name): the leader labels its own.
        #expect(try await cluster.kubectl(["create", "namespace", "sluice-system"]).exitCode == 0)
        let pods = ["replica-a", "replica-b"]
        for pod in pods {
            let manifest = """
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "\(pod)", "namespace": "sluice-system"},
                 "spec": {"containers": [{"name": "agent", "image": "sluice", "command": ["sleep", "600"]}]}}
                """
            let created = try await cluster.kubectl(["create", "-f", "-"], input: manifest)
            #expect(created.exitCode == 0, "\(created.errorOutput)")
        }
        func leaderLabel(_ pod: String) async throws -> String {
            try await cluster.kubectl(["get", "pod", pod, "-n", "sluice-system", "-o", #"jsonpath={.metadata.labels.sluice\.dev/leader}"#]).trimmedOutput
        }
        let replicas = [
            try await RunningAgent(workspace, arguments, stateDir: states[0], environment: ["POD_NAME": pods[0], "POD_NAMESPACE": "sluice-system"]),
            try await RunningAgent(workspace, arguments, stateDir: states[1], environment: ["POD_NAME": pods[1], "POD_NAMESPACE": "sluice-system"]),
        ]
        func holder() async throws -> String {
            try await cluster.kubectl(["get", "lease", "sluice-agent", "-n", "sluice-system", "-o", "jsonpath={.spec.holderIdentity}"]).trimmedOutput
        }
        func history(_ state: String) async throws -> [[String: Any]] {
            let result = try await workspace.sluice(["history", "--state-dir", state, "--output", "json"])
            return (try? JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]]) ?? []
        }
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "one replica leads and syncs") {
            let holder = try await holder()
            guard !holder.isEmpty else { return false }
            let both = try await history(states[0]) + (try await history(states[1]))
            return both.contains { $0["revision"] as? String == first && $0["outcome"] as? String == "Succeeded" }
        }
        let leaderIdentity = try await holder()
        let leaderIndex = try #require(replicas.firstIndex { leaderIdentity.hasSuffix("_\($0.process.pid)") }, "\(leaderIdentity)")
        let followerIndex = 1 - leaderIndex
        #expect(try await replicas[leaderIndex].metric("sluice_leader_info") == 1)
        #expect(try await replicas[followerIndex].metric("sluice_leader_info") == 0)
        #expect(try await history(states[followerIndex]).isEmpty)
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(500), "the leader's Pod is labelled") {
            try await leaderLabel(pods[leaderIndex]) == "true"
        }
        #expect(try await leaderLabel(pods[followerIndex]) == "")

        kill(replicas[leaderIndex].process.pid, SIGKILL)
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "two"]), to: "app/settings.yaml")
        let second = try workspace.work.commit("second")
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the other replica takes over and syncs the new commit") {
            try await history(states[followerIndex]).contains { $0["revision"] as? String == second && $0["outcome"] as? String == "Succeeded" }
        }
        #expect(try await holder().hasSuffix("_\(replicas[followerIndex].process.pid)"))
        #expect(try await replicas[followerIndex].metric("sluice_leader_info") == 1)
        #expect(try await leaderLabel(pods[followerIndex]) == "true")
        let value = try await cluster.kubectl(["get", "configmap", "settings", "-o", "jsonpath={.data.mode}"])
        #expect(value.trimmedOutput == "two")
        replicas[followerIndex].process.stop()
    }

    @Test("two agents sharing a PostgreSQL ledger: the leader killed mid-hook, the new leader marks its attempt Interrupted, syncs the commit, and every process reads one history")
    func leaderFailoverOnASharedPostgresLedger() async throws {
        let server = try await PostgresServer.start()
        defer { server.stop() }
        let workspace = try Workspace("agent-postgres-failover")
        let cluster = try await SyncCommandTests.RunningCluster(workspace)
        defer { cluster.stop() }
        // The first run of the migration hangs (the leader is killed in it); a later run finishes.
        let flag = workspace.directory.appending("migrated-once").path
        try workspace.work.write(
            SyncCommandTests.hookJob("migrate", hook: "PreSync", script: "test -e \(flag) || { touch \(flag); echo started; sleep 120; }; echo migrated"),
            to: "app/migrate.yaml")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let commit = try workspace.work.commit("a migration")
        let ledger = ["--ledger", server.url()]
        let environment = ["SLUICE_LEDGER_PASSWORD": server.password]
        let arguments = ["--path", "app", "--app", "shop", "--interval", "1s", "--kubeconfig", workspace.kubeconfig.path, "--leader-elect", "--lease-duration", "2s"] + ledger
        let states = [workspace.directory.appending("replica-a").path, workspace.directory.appending("replica-b").path]
        let replicas = [
            try await RunningAgent(workspace, arguments, stateDir: states[0], environment: environment),
            try await RunningAgent(workspace, arguments, stateDir: states[1], environment: environment),
        ]
        func history() async throws -> [(revision: String, outcome: String)] {
            let result = try await CLI.run(
                ["history", "--state-dir", workspace.directory.appending("reader").path, "--output", "json"] + ledger,
                environment: workspace.environment.merging(environment) { $1 }, timeout: .seconds(60))
            let entries = (try? JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]]) ?? []
            return entries.map { ($0["revision"] as? String ?? "", $0["outcome"] as? String ?? "") }
        }
        try await waitUntil(timeout: .seconds(90), poll: .milliseconds(300), "the leader runs the migration") {
            guard FileManager.default.fileExists(atPath: flag) else { return false }
            return try await history().map(\.outcome) == ["Running"]
        }
        let holder = try await cluster.kubectl(["get", "lease", "sluice-agent", "-n", "sluice-system", "-o", "jsonpath={.spec.holderIdentity}"]).trimmedOutput
        let leaderIndex = try #require(replicas.firstIndex { holder.hasSuffix("_\($0.process.pid)") }, "\(holder)")
        let followerIndex = 1 - leaderIndex
        // The replica that waits serves the application's status and history from the shared ledger.
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(300), "the follower's status shows the running attempt") {
            let (status, body) = try await replicas[followerIndex].get("/api/v1/apps")
            let entries = (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]]) ?? []
            return status == 200 && entries.contains { $0["app"] as? String == "shop" && $0["lastOutcome"] as? String == "Running" }
        }
        let (historyStatus, followerHistory) = try await replicas[followerIndex].get("/api/v1/apps/shop/history")
        #expect(historyStatus == 200, "\(followerHistory)")
        #expect(followerHistory.contains(commit) && followerHistory.contains("Running"), "\(followerHistory)")
        kill(replicas[leaderIndex].process.pid, SIGKILL)

        try await waitUntil(timeout: .seconds(120), poll: .milliseconds(500), "the new leader syncs the commit") {
            try await history().contains { $0.revision == commit && $0.outcome == "Succeeded" }
        }
        let entries = try await history()
        #expect(entries.map(\.outcome) == ["Succeeded", "Interrupted"], "\(entries)")
        #expect(entries.allSatisfy { $0.revision == commit })
        #expect(try await replicas[followerIndex].metric("sluice_leader_info") == 1)
        // Neither replica wrote a ledger file of its own.
        for state in states { #expect(!FileManager.default.fileExists(atPath: state + "/ledger.sqlite")) }
        let value = try await cluster.kubectl(["get", "configmap", "settings", "-o", "jsonpath={.data.mode}"])
        #expect(value.trimmedOutput == "one")
        replicas[followerIndex].process.stop()
    }

    @Test("the PostgreSQL ledger down in the middle of a sync: the sync stops before its next change to the cluster, and once the database is back the commit is synced and the stopped attempt ended, nothing lost")
    func postgresLedgerDownMidSync() async throws {
        var server = try await PostgresServer.start()
        let workspace = try Workspace("agent-postgres-down")
        let cluster = try await SyncCommandTests.RunningCluster(workspace)
        defer { cluster.stop() }
        // The migration waits for the test's go-ahead, so that the database goes down while it runs.
        let go = workspace.directory.appending("go").path
        try workspace.work.write(
            SyncCommandTests.hookJob("migrate", hook: "PreSync", script: "while [ ! -e \(go) ]; do sleep 0.1; done; echo migrated"),
            to: "app/migrate.yaml")
        try workspace.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let commit = try workspace.work.commit("a migration and a ConfigMap")
        let url = server.url() + "&connect_timeout=3"
        let environment = ["SLUICE_LEDGER_PASSWORD": server.password]
        // The 3 s bound is kept short for the outage; on a busy machine the agent's first opening of
        // the ledger (which creates its schema) can exceed it, and the agent then exits, as a pod
        // would before Kubernetes restarts it: start it again, within a deadline.
        var started: RunningAgent?
        let deadline = ContinuousClock.now + .seconds(120)
        while started == nil {
            do {
                started = try await RunningAgent(
                    workspace, ["--path", "app", "--app", "shop", "--interval", "1s", "--kubeconfig", workspace.kubeconfig.path, "--ledger", url],
                    environment: environment)
            } catch where ContinuousClock.now < deadline && "\(error)".contains("did not answer within") {
                continue
            }
        }
        let agent = try #require(started)
        func history() async throws -> [[String: Any]] {
            let result = try await CLI.run(
                ["history", "--state-dir", workspace.directory.appending("reader").path, "--output", "json", "--ledger", url],
                environment: workspace.environment.merging(environment) { $1 }, timeout: .seconds(60))
            return (try? JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]]) ?? []
        }
        func settingsExists() async throws -> Bool {
            try await cluster.kubectl(["get", "configmap", "settings", "-o", "name"]).exitCode == 0
        }
        try await waitUntil(timeout: .seconds(90), poll: .milliseconds(300), "the migration runs") {
            let pods = try await cluster.kubectl(["get", "pods", "-l", "job-name=migrate", "-o", "jsonpath={.items[*].status.phase}"])
            return pods.output.contains("Running")
        }
        #expect(try await history().map { $0["outcome"] as? String } == ["Running"])

        server.stop()
        FileManager.default.createFile(atPath: go, contents: nil)
        // The migration ends; recording that fails, so the sync stops there, and every retry fails too.
        do {
            try await waitUntil(timeout: .seconds(90), poll: .milliseconds(300), "the agent reports the ledger down, twice") {
                agent.process.log().components(separatedBy: "did not answer within").count > 2
            }
        } catch {
            Issue.record("\(error)\n\(agent.process.log())")
            throw error
        }
        #expect(try await !settingsExists(), "nothing was applied after the ledger went down")

        server = try await server.restart()
        defer { server.stop() }
        try await waitUntil(timeout: .seconds(120), poll: .milliseconds(500), "the commit is synced once the ledger is back") {
            try await history().contains { $0["revision"] as? String == commit && $0["outcome"] as? String == "Succeeded" }
        }
        #expect(try await settingsExists())
        let entries = try await history()
        #expect(!entries.contains { $0["outcome"] as? String == "Running" }, "\(entries)")
        let stopped = try #require(entries.last)
        #expect(stopped["outcome"] as? String == "Failed")
        #expect((stopped["outcomeMessage"] as? String ?? "").contains("the ledger could not be written"), "\(stopped)")
        #expect(!agent.process.log().contains(server.password))
        agent.process.stop()
    }

    @Test("many applications with PreSync Jobs all sync, never more at once than --max-concurrent-syncs")
    func concurrentSyncsAreCapped() async throws {
        let workspace = try Workspace("agent-cap")
        let names = (0..<6).map { "app\($0)" }
        for name in names {
            try workspace.work.write(SyncCommandTests.hookJob("migrate-\(name)", hook: "PreSync", script: "sleep 0.5; echo \(name) migrated"), to: "apps/\(name)/migrate.yaml")
            try workspace.work.write(SyncCommandTests.configMap("config-\(name)", ["v": "1"]), to: "apps/\(name)/config.yaml")
        }
        try workspace.work.commit("six apps")
        let config = workspace.directory.appending("agent.yaml")
        let entries = names.map { "  - name: \($0)\n    repo: \(workspace.work.path)\n    path: apps/\($0)\n" }.joined()
        try Data(("apps:\n" + entries).utf8).write(to: config)
        let agent = try await RunningAgent(workspace, ["--config", config.path, "--interval", "1s", "--max-concurrent-syncs", "2"])
        try await waitUntil(timeout: .seconds(90), poll: .milliseconds(500), "every application is synced") {
            let history = try await Self.history(workspace)
            return names.allSatisfy { name in history.contains { $0["app"] as? String == name && $0["outcome"] as? String == "Succeeded" } }
        }
        // From the ledger's times: at no moment were more than two attempts running.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func date(_ text: Any?) -> Date? {
            guard let text = text as? String else { return nil }
            return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
        }
        let spans = try await Self.history(workspace).compactMap { entry -> (Date, Date)? in
            guard let start = date(entry["startedAt"]), let end = date(entry["finishedAt"]) else { return nil }
            return (start, end)
        }
        #expect(spans.count >= names.count)
        for (start, _) in spans {
            let running = spans.filter { $0.0 <= start && start < $0.1 }.count
            #expect(running <= 2, "\(running) attempts were running at \(start)")
        }
        agent.process.stop()
    }
}
