import Foundation
import Testing
import TestSupport

/// Helm charts in Git, synced by the real binary as a user runs it: Argo CD's helm-guestbook
/// example with its production values, a template error that leaves the cluster as it was, and a
/// chart repository that cannot be reached.
@Suite("sluice sync renders Helm charts as Argo CD does", .timeLimit(.minutes(8)))
struct HelmSourceTests {
    typealias Workspace = SyncCommandTests.Workspace
    typealias RunningCluster = SyncCommandTests.RunningCluster

    static let samples = URL(fileURLWithPath: "/work/shared/samples/argocd-example-apps")

    @Test("Argo CD's helm-guestbook syncs with its production values under the application's release name; a template error then fails the commit with nothing applied, naming the template and line")
    func helmGuestbook() async throws {
        let ws = try Workspace("cli-helm-guestbook")
        try FileManager.default.copyItem(at: Self.samples.appendingPathComponent("helm-guestbook"), to: ws.work.url.appendingPathComponent("helm-guestbook"))
        let head = try ws.work.commit("Argo CD's helm-guestbook")
        let cluster = try await RunningCluster(ws)
        defer { cluster.stop() }

        let arguments = [
            "--path", "helm-guestbook", "--app", "guestbook", "--helm-values", "values-production.yaml", "--health-timeout", "60s",
            "--helm-set", "unused.password=hunter2-not-for-the-ledger",
        ]
        let plan = try await ws.run("plan", arguments)
        #expect(plan.exitCode == 0, "\(plan.output)\(plan.errorOutput)")
        #expect(plan.output.contains("guestbook-helm-guestbook"), "\(plan.output)")

        let sync = try await ws.run("sync", arguments + ["--output", "json"])
        #expect(sync.exitCode == 0, "\(sync.output)\(sync.errorOutput)")
        let result = try SyncCommandTests.object(sync)
        #expect(result["revision"] as? String == head)
        #expect(result["outcome"] as? String == "Succeeded")
        let tasks = try SyncCommandTests.tasks(result)
        #expect(Set(tasks.compactMap { "\($0["kind"] ?? "") \($0["name"] ?? "")" }) == ["Service guestbook-helm-guestbook", "Deployment guestbook-helm-guestbook"])
        // values-production.yaml makes the Service a LoadBalancer; the release is the application's name.
        let service = try await cluster.kubectl(["get", "service", "guestbook-helm-guestbook", "-o", "jsonpath={.spec.type} {.metadata.labels.release}"])
        #expect(service.trimmedOutput == "LoadBalancer guestbook", "\(service.output)\(service.errorOutput)")
        // The ledger keeps how the chart was rendered with the attempt, values as digests only.
        let history = try await ws.sluice(["history", "--state-dir", ws.state, "--output", "json"])
        let rendering = try #require(try SyncCommandTests.array(history).first?["rendering"] as? [String: Any], "\(history.output)")
        #expect(rendering["renderer"] as? String == "helm")
        #expect(rendering["chart"] as? String == "helm-guestbook", "the chart's directory in the repository")
        #expect(rendering["releaseName"] as? String == "guestbook")
        #expect(rendering["valueFiles"] as? [String] == ["values-production.yaml"])
        #expect(rendering["kubeVersion"] as? String == "v1.36.0-sluice")
        #expect((rendering["parameters"] as? [[String: Any]])?.first?["name"] as? String == "unused.password")
        #expect(!history.output.contains("hunter2"), "a parameter's value never reaches the ledger")
        // The ledger keeps what was rendered with the attempt.
        let shown = try await ws.sluice(["show", head, "--app", "guestbook", "--state-dir", ws.state])
        #expect(shown.output.contains("manifests") && shown.output.contains("sha256:"), "\(shown.output)\(shown.errorOutput)")

        // A template error: refused before anything is applied, the cluster keeps the last revision.
        let deployment = ws.work.url.appendingPathComponent("helm-guestbook/templates/deployment.yaml")
        var text = try String(contentsOf: deployment, encoding: .utf8)
        text = text.replacingOccurrences(of: "{{ .Values.replicaCount }}", with: "{{ .Values.replicaCount | nosuchfunction }}")
        try Data(text.utf8).write(to: deployment)
        try ws.work.write("service:\n  type: ClusterIP\n", to: "helm-guestbook/values-production.yaml")
        let broken = try ws.work.commit("a broken template")
        let failed = try await ws.run("sync", arguments)
        #expect(failed.exitCode == 1, "\(failed.output)\(failed.errorOutput)")
        #expect(failed.output.contains("invalid manifests; nothing was applied:\n  helm-guestbook/templates/deployment.yaml: "), "\(failed.output)")
        #expect(failed.output.contains("deployment.yaml:") && failed.output.contains("nosuchfunction"), "\(failed.output)")
        let failedAttempt = try SyncCommandTests.array(try await ws.sluice(["history", "--state-dir", ws.state, "--output", "json"])).first
        #expect((failedAttempt?["rendering"] as? [String: Any])?["releaseName"] as? String == "guestbook", "a refused attempt keeps its settings too")
        let unchanged = try await cluster.kubectl(["get", "service", "guestbook-helm-guestbook", "-o", "jsonpath={.spec.type}"])
        #expect(unchanged.trimmedOutput == "LoadBalancer", "nothing of the broken commit was applied")
        let status = try SyncCommandTests.array(try await ws.sluice(["status", "--state-dir", ws.state, "--output", "json"]))
        let entry = try #require(status.first { $0["app"] as? String == "guestbook" })
        #expect("\(entry)".contains(broken) && entry["lastOutcome"] as? String == "Failed", "\(entry)")
        let table = try await ws.sluice(["status", "--state-dir", ws.state])
        // The table cuts the message at 60 characters: the headline with the start of the first problem.
        #expect(table.output.contains("invalid manifests; nothing was applied: helm-guestbook/temp"), "\(table.output)")
    }

    @Test("with --no-helm a chart is refused in one sentence and the attempt is recorded; a chart repository that cannot be reached records no failed attempt")
    func refusedAndUnreachable() async throws {
        let ws = try Workspace("cli-helm-refused")
        try FileManager.default.copyItem(at: Self.samples.appendingPathComponent("helm-guestbook"), to: ws.work.url.appendingPathComponent("chart"))
        try ws.work.commit("a chart")
        let refused = try await ws.run("sync", ["--path", "chart", "--app", "chart", "--no-helm"])
        #expect(refused.exitCode == 1, "\(refused.output)\(refused.errorOutput)")
        #expect(refused.output.contains("chart/Chart.yaml: a Helm chart, and Helm rendering is off (--no-helm)"), "\(refused.output)")
        let history = try SyncCommandTests.array(try await ws.sluice(["history", "--state-dir", ws.state, "--output", "json"]))
        #expect(history.first?["outcome"] as? String == "Failed")

        // A dependency on a repository nobody serves: the revision may be fine, so no Failed attempt.
        let refusing = try Loopback.refusingPort()
        let port = refusing.port
        defer { withExtendedLifetime(refusing) {} }
        var chart = try String(contentsOf: ws.work.url.appendingPathComponent("chart/Chart.yaml"), encoding: .utf8)
        chart += "\ndependencies:\n  - name: cache\n    version: 1.0.0\n    repository: http://127.0.0.1:\(port)\n"
        try ws.work.write(chart, to: "chart/Chart.yaml")
        try ws.work.commit("a dependency from a repository that is down")
        let unreachable = try await ws.run("sync", ["--path", "chart", "--app", "chart"])
        #expect(unreachable.exitCode != 0 && unreachable.exitCode != 1, "\(unreachable.exitCode) \(unreachable.output)\(unreachable.errorOutput)")
        #expect((unreachable.output + unreachable.errorOutput).contains("127.0.0.1:\(port)"), "\(unreachable.output)\(unreachable.errorOutput)")
        let after = try SyncCommandTests.array(try await ws.sluice(["history", "--state-dir", ws.state, "--output", "json"]))
        #expect(after.count == history.count, "no attempt was recorded for an unreachable chart repository: \(after)")
    }

    @Test("the agent renders a chart once per revision: the next sync's base and the drift checks reuse what was rendered")
    func agentRendersOncePerRevision() async throws {
        let ws = try Workspace("agent-helm-once")
        try FileManager.default.copyItem(at: Self.samples.appendingPathComponent("helm-guestbook"), to: ws.work.url.appendingPathComponent("chart"))
        let first = try ws.work.commit("a chart")
        // A `helm` first on PATH that notes each command, then runs the real one.
        let bin = try ws.directory.makeSubdirectory("bin")
        let calls = ws.directory.appending("helm-calls")
        let helm = try ProcessRunner.resolveExecutable("helm")
        let wrapper = bin.appendingPathComponent("helm")
        try Data("#!/bin/sh\necho \"$1\" >> '\(calls.path)'\nexec '\(helm)' \"$@\"\n".utf8).write(to: wrapper)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.path)
        let path = bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let agent = try await AgentCommandTests.RunningAgent(
            ws, ["--path", "chart", "--app", "guestbook", "--interval", "1s", "--drift-interval", "1s", "--health-timeout", "60s"],
            environment: ["PATH": path])
        defer { agent.process.stop() }
        func applied() async throws -> String? {
            let (status, body) = try await agent.get("/api/v1/apps")
            guard status == 200, let apps = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]] else { return nil }
            return apps.first?["lastAppliedRevision"] as? String
        }
        func templates() throws -> Int {
            ((try? String(contentsOf: calls, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0 == "template" }.count
        }
        try await waitUntil(timeout: .seconds(90), poll: .milliseconds(200), "the first revision is applied") { try await applied() == first }
        #expect(try templates() == 1)

        try ws.work.write("replicaCount: 2\n", to: "chart/values-production.yaml")
        var values = try String(contentsOf: ws.work.url.appendingPathComponent("chart/values.yaml"), encoding: .utf8)
        values = values.replacingOccurrences(of: "replicaCount: 1", with: "replicaCount: 2")
        try ws.work.write(values, to: "chart/values.yaml")
        let second = try ws.work.commit("two replicas")
        try await waitUntil(timeout: .seconds(90), poll: .milliseconds(200), "the second revision is applied") { try await applied() == second }
        // Drift checks of the applied revision, each a load of it.
        let checks = try await agent.metric("sluice_drift_checks_total{app=\"guestbook\"}")
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(200), "two more drift checks") {
            try await agent.metric("sluice_drift_checks_total{app=\"guestbook\"}") >= checks + 2
        }
        #expect(try templates() == 2, "one helm template per revision: \((try? String(contentsOf: calls, encoding: .utf8)) ?? "")")
    }

    @Test("a chart shaped like Argo CD's helm-dependency (no templates of its own, one dependency from a chart repository): while the repository is down the agent shows a transient error and records nothing; once it is up the dependency is fetched and delivered")
    func agentDeliversADependencyOnceItsRepositoryIsUp() async throws {
        let ws = try Workspace("agent-helm-dependency")
        let charts = try ws.directory.makeSubdirectory("charts-source")
        let cache = charts.appendingPathComponent("cache")
        try FileManager.default.createDirectory(at: cache.appendingPathComponent("templates"), withIntermediateDirectories: true)
        try Data("apiVersion: v2\nname: cache\nversion: 1.2.0\n".utf8).write(to: cache.appendingPathComponent("Chart.yaml"))
        try Data("maxMemory: 64mb\n".utf8).write(to: cache.appendingPathComponent("values.yaml"))
        try Data("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: '{{ .Release.Name }}-cache'}\ndata: {maxMemory: '{{ .Values.maxMemory }}'}\n".utf8)
            .write(to: cache.appendingPathComponent("templates/config.yaml"))
        let repository = try await ChartRepositoryServer.start(charts: [cache])
        repository.stop()
        try ws.work.write("apiVersion: v2\nname: shop\nversion: 0.1.0\ndependencies:\n  - name: cache\n    version: \"~1.2.0\"\n    repository: \(repository.url)\n", to: "shop/Chart.yaml")
        try ws.work.write("cache:\n  maxMemory: 256mb\n", to: "shop/values.yaml")
        let head = try ws.work.commit("a chart with a dependency")

        let agent = try await AgentCommandTests.RunningAgent(ws, ["--path", "shop", "--app", "shop", "--interval", "2s", "--drift-interval", "0"])
        defer { agent.process.stop() }
        func entry() async throws -> [String: Any]? {
            let (status, body) = try await agent.get("/api/v1/apps")
            guard status == 200 else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]])?.first
        }
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(200), "a transient error naming the repository") {
            guard let entry = try await entry() else { return false }
            return entry["errorClass"] as? String == "transient" && (entry["error"] as? String ?? "").contains(repository.url)
        }
        #expect(try await AgentCommandTests.history(ws).isEmpty, "nothing is recorded against the commit while its chart repository is down")

        try await repository.restart()
        var last: [String: Any]?
        try await waitUntil(
            timeout: .seconds(90), poll: .milliseconds(200),
            "the commit is delivered once the repository is up (last status: \(last ?? [:]); the agent's log ends: \(agent.process.log().suffix(4000)))"
        ) {
            last = try await entry()
            return last?["lastAppliedRevision"] as? String == head
        }
        #expect(try await AgentCommandTests.configValue(ws, "shop-cache", "maxMemory") == "256mb", "the parent's values reach the dependency")
        let cleared = try await entry()
        #expect(cleared?["errorClass"] as? String == nil, "the transient error is cleared: \(cleared ?? [:])")
    }
}
