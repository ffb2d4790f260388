import Foundation
import KubeModel
import Ledger
import SyncEngine
import Testing

/// An object already tracked by another application is not silently taken over (Argo CD's
/// SharedResourceWarning, made safe): the sync is refused before anything is applied, naming the
/// object and both applications, unless the live object carries `sluice.dev/allow-shared: "true"`.
@Suite("Objects shared between applications", .timeLimit(.minutes(8)))
struct SharedObjectTests {
    /// `shop` (path `app`) and `billing` (path `billing`) both hold the ConfigMap `settings`;
    /// `billing` also has an object of its own.
    static func push(_ fixture: SyncFixture) throws {
        try fixture.push([
            "app/settings.yaml": YAML.configMap("settings", data: "owner: shop"),
            "billing/settings.yaml": YAML.configMap("settings", data: "owner: billing"),
            "billing/rates.yaml": YAML.configMap("rates"),
        ])
    }

    static func syncBilling(_ fixture: SyncFixture, trigger: Trigger = .poll) async throws -> SyncResult {
        try await fixture.sync(trigger: trigger, path: "billing") { $0.app = "billing" }
    }

    @Test("a second application claiming a ConfigMap the first tracks is refused before anything is applied, naming the object and both applications")
    func secondApplicationIsRefused() async throws {
        try await SyncFixture.with { fixture in
            try Self.push(fixture)
            let first = try await fixture.sync()
            #expect(first.outcome == .succeeded, "\(first.message)")

            let second = try await Self.syncBilling(fixture)
            #expect(second.outcome == .failed)
            #expect(second.error?.code == .sharedObject, "\(second.message)")
            #expect(second.message.contains("application billing would take over an object another application tracks"), "\(second.message)")
            #expect(second.message.contains("ConfigMap default/settings (settings.yaml) is tracked by application shop"), "\(second.message)")
            #expect(second.message.contains("sluice.dev/allow-shared=true"), "\(second.message)")

            // Nothing of billing was applied, and shop's object is untouched.
            #expect(try await fixture.live("v1", "ConfigMap", "rates") == nil)
            let settings = try #require(try await fixture.live("v1", "ConfigMap", "settings"))
            #expect(settings["data"] == ["owner": "shop"])
            #expect(settings.annotations[Tracking.annotation] == "shop:/ConfigMap:default/settings")

            let detail = try await fixture.detail(second)
            #expect(detail.attempt.outcome == .failed)
            #expect(detail.attempt.outcomeMessage.contains("tracked by application shop"), "\(detail.attempt.outcomeMessage)")
            #expect(taskLines(detail) == ["Sync/0 ConfigMap settings skipped Failed"])
            #expect(detail.tasks.first?.message == "settings.yaml: ConfigMap default/settings is tracked by application shop, not billing")
        }
    }

    @Test("with sluice.dev/allow-shared: \"true\" on the live object the second application takes it over, as before")
    func allowSharedAnnotationLetsItThrough() async throws {
        try await SyncFixture.with { fixture in
            try Self.push(fixture)
            #expect(try await fixture.sync().outcome == .succeeded)
            let gvk = GroupVersionKind(group: "", version: "v1", kind: "ConfigMap")
            _ = try await fixture.client.mergePatch(
                gvk, namespace: "default", name: "settings", patch: ["metadata": ["annotations": [Tracking.allowSharedAnnotation: "true"]]])

            let second = try await Self.syncBilling(fixture)
            #expect(second.outcome == .succeeded, "\(second.message)")
            let settings = try #require(try await fixture.live("v1", "ConfigMap", "settings"))
            #expect(settings["data"] == ["owner": "billing"])
            #expect(settings.annotations[Tracking.annotation] == "billing:/ConfigMap:default/settings")
            #expect(try await fixture.live("v1", "ConfigMap", "rates") != nil)
        }
    }

    @Test("an object with the annotation copied from another object, or no tracking at all, is adopted as before")
    func untrackedObjectsAreAdopted() async throws {
        try await SyncFixture.with { fixture in
            _ = try await fixture.client.create([
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": [
                    "name": "settings", "namespace": "default",
                    "labels": [Tracking.managedByLabel: .string(Tracking.managedByValue)],
                    "annotations": [Tracking.annotation: "shop:/ConfigMap:default/copied-from"],
                ],
            ])
            _ = try await fixture.client.create(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "rates", "namespace": "default"]])
            try Self.push(fixture)
            let result = try await Self.syncBilling(fixture)
            #expect(result.outcome == .succeeded, "\(result.message)")
            #expect(try await fixture.live("v1", "ConfigMap", "settings")?.annotations[Tracking.annotation] == "billing:/ConfigMap:default/settings")
        }
    }
}
