import Foundation
import KubeModel
import Ledger
import SyncEngine
import Testing

/// The application-level `createNamespace` (Argo CD's `CreateNamespace=true` with
/// `managedNamespaceMetadata`): the namespace is applied first, before PreSync hooks, with its labels
/// and annotations, and never joins the inventory.
@Suite("The application's namespace, created before anything else", .timeLimit(.minutes(8)))
struct ApplicationNamespaceTests {
    static let hook = "argocd.argoproj.io/hook"

    static let metadata = ManagedNamespace(
        name: "payments", labels: ["team": "payments", "pod-security.kubernetes.io/enforce": "baseline"],
        annotations: ["example.com/owner": "payments@example.com"])

    static func push(_ fixture: SyncFixture) throws {
        try fixture.push([
            // The PreSync hook names no namespace: it runs in the application's, which must exist first.
            "app/migrate.yaml": YAML.job("migrate", script: "echo migrating in payments", annotations: [Self.hook: "PreSync"]),
            "app/config.yaml": YAML.configMap("settings"),
        ])
    }

    @Test("on a fresh cluster the namespace is created with its labels and annotations before the PreSync hook that runs in it, and it is not in the inventory")
    func freshCluster() async throws {
        try await SyncFixture.with { fixture in
            #expect(try await fixture.live("v1", "Namespace", "payments", namespace: "") == nil)
            try Self.push(fixture)
            let plan = try await fixture.plan { $0.createNamespace = Self.metadata }
            #expect(plan.tasks.first.map { "\($0.phase) \($0.kind) \($0.name) \($0.action)" } == "PreSync Namespace payments created")
            let result = try await fixture.sync(namespace: "payments") { $0.createNamespace = Self.metadata }
            #expect(result.outcome == .succeeded, "\(result.message)")

            let namespace = try #require(try await fixture.live("v1", "Namespace", "payments", namespace: ""))
            #expect(namespace.labels["team"] == "payments")
            #expect(namespace.labels["pod-security.kubernetes.io/enforce"] == "baseline")
            #expect(namespace.annotations["example.com/owner"] == "payments@example.com")
            #expect(namespace.annotations[Tracking.annotation] == nil, "the namespace is not tracked by the application")

            let detail = try await fixture.detail(result)
            #expect(taskLines(detail) == [
                "PreSync/0 Namespace payments created Succeeded",
                "PreSync/0 Job migrate created Succeeded",
                "Sync/0 ConfigMap settings created Succeeded",
            ])
            let created = try #require(detail.tasks.first)
            let hook = try #require(task(detail, "migrate"))
            #expect(try #require(created.finishedAt) <= hook.startedAt)
            #expect(hook.object.namespace == "payments")
            #expect(hook.log?.contains("migrating in payments") == true)

            let inventory = try #require(try await fixture.inventory())
            #expect(inventory.objects == [ObjectIdentity(group: "", kind: "ConfigMap", namespace: "payments", name: "settings")])
        }
    }

    @Test("an existing namespace gets the labels and annotations with Sluice's field manager, keeping its own; a second sync leaves it unchanged")
    func existingNamespace() async throws {
        try await SyncFixture.with { fixture in
            _ = try await fixture.client.create([
                "apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "payments", "labels": ["existing": "kept"]],
            ])
            try Self.push(fixture)
            let plan = try await fixture.plan { $0.createNamespace = Self.metadata }
            #expect(plan.tasks.first.map { "\($0.phase) \($0.kind) \($0.name) \($0.action)" } == "PreSync Namespace payments configured")
            let result = try await fixture.sync(namespace: "payments") { $0.createNamespace = Self.metadata }
            #expect(result.outcome == .succeeded, "\(result.message)")

            let namespace = try #require(try await fixture.live("v1", "Namespace", "payments", namespace: ""))
            #expect(namespace.labels["existing"] == "kept")
            #expect(namespace.labels["team"] == "payments")
            #expect(namespace.annotations["example.com/owner"] == "payments@example.com")
            let managers = (namespace[path: ["metadata", "managedFields"]]?.arrayValue ?? []).compactMap { entry -> String? in
                guard let manager = entry["manager"]?.stringValue, let operation = entry["operation"]?.stringValue else { return nil }
                return "\(manager) \(operation)"
            }
            #expect(managers.contains("sluice Apply"), "\(managers)")
            #expect(taskLines(try await fixture.detail(result)).first == "PreSync/0 Namespace payments configured Succeeded")

            let again = try await fixture.sync(trigger: .manual, namespace: "payments") {
                $0.createNamespace = Self.metadata
                $0.full = true
            }
            #expect(again.outcome == .succeeded, "\(again.message)")
            #expect(taskLines(try await fixture.detail(again)).first == "PreSync/0 Namespace payments unchanged Succeeded")
        }
    }

    @Test("without createNamespace a missing namespace still refuses the revision in the dry run, before anything is applied")
    func withoutItTheNamespaceMustExist() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push(["app/config.yaml": YAML.configMap("settings")])
            let result = try await fixture.sync(namespace: "payments")
            #expect(result.outcome == .failed)
            #expect(result.error?.code == .validationFailed, "\(result.message)")
            #expect(try await fixture.live("v1", "Namespace", "payments", namespace: "") == nil)
        }
    }
}
