import Delivery
import Foundation
import KubeModel
import Ledger
import SyncEngine
import Testing

/// An object with a field its schema does not declare, against a cluster that types objects as
/// kube-apiserver does: refused before anything is applied by default (server-side apply types
/// its body), delivered without the field under `Validate=false` (client-side apply, the server
/// drops it, as Argo CD lets it), with the server's warnings kept in the ledger.
@Suite("Unknown fields and Validate=false", .timeLimit(.minutes(8)))
struct FieldValidationTests {
    static func deployment(annotations: [String: String] = [:]) -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        \(YAML.annotationBlock(annotations))spec:
          replica: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - {name: web, image: "busybox", command: ["sh", "-c", "sleep 3600"]}

        """
    }

    @Test("a typo in a manifest (replica for replicas) fails the sync at Validate, naming file, object and field; nothing is applied")
    func unknownFieldFailsTheSync() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push(["app/web.yaml": Self.deployment(), "app/settings.yaml": YAML.configMap("settings")])
            let result = try await fixture.sync()
            #expect(result.outcome == .failed)
            #expect(result.error?.code == .validationFailed, "\(result.message)")
            #expect(result.message.contains("web.yaml: Deployment default/web"), "\(result.message)")
            #expect(result.message.contains(".spec.replica: field not declared in schema"), "\(result.message)")
            #expect(try await fixture.live("apps/v1", "Deployment", "web") == nil)
            #expect(try await fixture.live("v1", "ConfigMap", "settings") == nil, "nothing of the commit was applied")
        }
    }

    @Test("with Validate=false the object is sent client-side, the server drops the field, and the ledger keeps its warning")
    func validateFalseLetsTheServerDropTheField() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push(["app/web.yaml": Self.deployment(annotations: ["argocd.argoproj.io/sync-options": "Validate=false"])])
            let result = try await fixture.sync()
            #expect(result.outcome == .succeeded, "\(result.message)")
            let live = try #require(try await fixture.live("apps/v1", "Deployment", "web"))
            #expect(live[path: ["spec", "replica"]] == nil)
            #expect(live[path: ["spec", "replicas"]] == 1, "the default: the typo was dropped, not applied")
            let lastApplied = try #require(live.annotations["kubectl.kubernetes.io/last-applied-configuration"])
            #expect(lastApplied.contains("\"replica\":2"), "the configuration as written, as kubectl keeps it")

            let detail = try await fixture.detail(result)
            let task = try #require(detail.tasks.first { $0.object.kind == "Deployment" })
            #expect(task.status == .succeeded)
            #expect(task.message.contains("the server warned: unknown field \"spec.replica\""), "\(task.message)")

            // A second commit removes a label: the three-way patch removes it from the live object.
            let relabelled = Self.deployment(annotations: ["argocd.argoproj.io/sync-options": "Validate=false", "team": "shop"])
            try fixture.push(["app/web.yaml": relabelled])
            #expect(try await fixture.sync().outcome == .succeeded)
            #expect(try await fixture.live("apps/v1", "Deployment", "web")?.annotations["team"] == "shop")
            try fixture.push(["app/web.yaml": Self.deployment(annotations: ["argocd.argoproj.io/sync-options": "Validate=false"])])
            #expect(try await fixture.sync().outcome == .succeeded)
            #expect(try await fixture.live("apps/v1", "Deployment", "web")?.annotations["team"] == nil)
        }
    }

    @Test("ServerSideApply=false sends the object client-side with strict validation: the typo is refused at Validate")
    func clientSideApplyIsStrict() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push(["app/web.yaml": Self.deployment(annotations: ["argocd.argoproj.io/sync-options": "ServerSideApply=false"])])
            let result = try await fixture.sync()
            #expect(result.outcome == .failed)
            #expect(result.message.contains("strict decoding error: unknown field \"spec.replica\""), "\(result.message)")
            #expect(try await fixture.live("apps/v1", "Deployment", "web") == nil)

            let fixed = Self.deployment(annotations: ["argocd.argoproj.io/sync-options": "ServerSideApply=false"])
                .replacingOccurrences(of: "replica: 2", with: "replicas: 2")
            try fixture.push(["app/web.yaml": fixed])
            let second = try await fixture.sync()
            #expect(second.outcome == .succeeded, "\(second.message)")
            let live = try #require(try await fixture.live("apps/v1", "Deployment", "web"))
            #expect(live[path: ["spec", "replicas"]] == 2)
            #expect(live.annotations["kubectl.kubernetes.io/last-applied-configuration"] != nil)
            // A drift check of the same revision (dry runs of the client-side patch) finds nothing to repair.
            let application = ApplicationSync(
                source: try fixture.source(), runner: SyncRunner(client: fixture.client, recorder: fixture.ledger, configuration: fixture.configuration()),
                ledger: fixture.ledger)
            let drift = try #require(try await application.checkDrift())
            #expect(drift.drifted.isEmpty, "\(drift.drifted)")
        }
    }
}
