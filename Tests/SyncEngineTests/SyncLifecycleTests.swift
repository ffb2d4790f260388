import Foundation
import KubeModel
import Ledger
import SyncEngine
import Testing

/// A commit delivered end to end: PreSync migration, the apply, PostSync check, recorded in the ledger.
@Suite("Sync lifecycle, end to end", .timeLimit(.minutes(8)))
struct SyncLifecycleTests {
    @Test("a PreSync migration Job runs to completion before the Deployment is applied, and a PostSync check after it is healthy")
    func preSyncThenApplyThenPostSync() async throws {
        try await SyncFixture.with { fixture in
            let revision = try fixture.push([
                "app/migrate.yaml": YAML.job("migrate", script: "echo migrated schema v2", annotations: ["argocd.argoproj.io/hook": "PreSync"]),
                "app/web.yaml": YAML.deployment("web"),
                "app/check.yaml": YAML.job("smoke", script: "echo smoke ok", annotations: ["argocd.argoproj.io/hook": "PostSync"]),
            ])
            let result = try await fixture.sync()
            #expect(result.outcome == .succeeded, "\(result.message)")
            let detail = try await fixture.detail(result)
            #expect(detail.attempt.revision == revision)
            #expect(detail.attempt.phaseReached == "PostSync")
            #expect(taskLines(detail) == [
                "PreSync/0 Job migrate created Succeeded",
                "Sync/0 Deployment web created Succeeded",
                "PostSync/0 Job smoke created Succeeded",
            ])
            let tasks = detail.tasks
            // Each phase starts only after the previous one finished.
            #expect(try #require(tasks[0].finishedAt) <= tasks[1].startedAt)
            #expect(try #require(tasks[1].finishedAt) <= tasks[2].startedAt)
            #expect(tasks[0].log?.contains("migrated schema v2") == true)
            #expect(tasks[2].log?.contains("smoke ok") == true)
            #expect(detail.changes.created.map(\.description) == ["apps/Deployment/default/web"])

            // The Deployment was available before PostSync ran, and the hooks' finalizer is gone.
            let web = try #require(try await fixture.live("apps/v1", "Deployment", "web"))
            #expect(HealthCheck.health(of: web).status == .healthy)
            #expect(web.annotations[Tracking.annotation] == "shop:apps/Deployment:default/web")
            #expect(web.labels[Tracking.managedByLabel] == "sluice")
            let migrate = try #require(try await fixture.live("batch/v1", "Job", "migrate"))
            #expect(!migrate.finalizers.contains(Tracking.hookFinalizer))

            // The inventory lists the applied object (not the hooks) and the revision.
            let inventory = try #require(
                try await InventoryStore(client: fixture.client, app: "shop", namespace: "sluice-system").read())
            #expect(inventory.revision == revision)
            #expect(inventory.objects.map(\.description) == ["apps/Deployment/default/web"])
        }
    }

    @Test("a failing PreSync Job stops the sync before the Sync phase, runs SyncFail, and keeps both logs")
    func failingPreSync() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/migrate.yaml": YAML.job(
                    "migrate", script: "echo starting; echo 'ERROR: relation exists' >&2; exit 3", annotations: ["argocd.argoproj.io/hook": "PreSync"]),
                "app/config.yaml": YAML.configMap("settings"),
                "app/rollback.yaml": YAML.job("restore", script: "echo restoring backup", annotations: ["argocd.argoproj.io/hook": "SyncFail"]),
            ])
            let result = try await fixture.sync()
            #expect(result.outcome == .failed)
            #expect(result.message.contains("PreSync hook Job migrate failed"))
            let detail = try await fixture.detail(result)
            #expect(detail.attempt.phaseReached == "SyncFail")
            #expect(taskLines(detail) == ["PreSync/0 Job migrate created Failed", "SyncFail/0 Job restore created Succeeded"])
            #expect(detail.tasks[0].log?.contains("ERROR: relation exists") == true)
            #expect(detail.tasks[1].log?.contains("restoring backup") == true)
            // Nothing of the Sync phase reached the cluster.
            #expect(try await fixture.live("v1", "ConfigMap", "settings") == nil)
            let inventory = try await InventoryStore(client: fixture.client, app: "shop", namespace: "sluice-system").read()
            #expect(inventory?.revision == nil)
        }
    }

    @Test("a wave-1 object is applied only after the wave-0 Deployment is healthy")
    func wavesGateOnHealth() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/db.yaml": YAML.deployment("db"),
                "app/web.yaml": YAML.configMap("web-config", annotations: ["argocd.argoproj.io/sync-wave": "1"]),
            ])
            let result = try await fixture.sync()
            #expect(result.outcome == .succeeded, "\(result.message)")
            let detail = try await fixture.detail(result)
            #expect(taskLines(detail) == ["Sync/0 Deployment db created Succeeded", "Sync/1 ConfigMap web-config created Succeeded"])
            // The container's readiness probe first runs a second after it started: the gap proves the wait, whatever the machine's speed.
            let applied = try #require(detail.tasks[0].finishedAt)
            #expect(detail.tasks[1].startedAt.timeIntervalSince(applied) >= 0.9)
            let configCreated = try #require(try await fixture.live("v1", "ConfigMap", "web-config"))
            #expect(configCreated.annotations[Tracking.annotation] == "shop::default/web-config".replacingOccurrences(of: "::", with: ":/ConfigMap:"))
        }
    }

    @Test("a Deployment whose container keeps crashing fails the sync at the health timeout and runs SyncFail")
    func crashingDeployment() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/web.yaml": YAML.deployment("web", script: "echo boom; exit 1"),
                "app/alert.yaml": YAML.job("alert", script: "echo paging on-call", annotations: ["argocd.argoproj.io/hook": "SyncFail"]),
            ])
            let result = try await fixture.sync { $0.healthTimeout = .seconds(4) }
            #expect(result.outcome == .failed)
            #expect(result.message.contains("Deployment default/web did not become healthy within 4s"), "\(result.message)")
            let detail = try await fixture.detail(result)
            #expect(taskLines(detail) == ["Sync/0 Deployment web created Succeeded", "SyncFail/0 Job alert created Succeeded"])
            // The object was applied, so the inventory owns it (a later sync can prune it), but the revision is not recorded as applied.
            let inventory = try #require(try await InventoryStore(client: fixture.client, app: "shop", namespace: "sluice-system").read())
            #expect(inventory.revision == nil)
            #expect(inventory.objects.map(\.description) == ["apps/Deployment/default/web"])
        }
    }

    @Test("a failing PostSync check fails the sync after the objects were applied")
    func failingPostSync() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/config.yaml": YAML.configMap("settings"),
                "app/check.yaml": YAML.job("smoke", script: "echo 'smoke test failed: 502'; exit 1", annotations: ["argocd.argoproj.io/hook": "PostSync"]),
            ])
            let result = try await fixture.sync()
            #expect(result.outcome == .failed)
            let detail = try await fixture.detail(result)
            #expect(taskLines(detail) == ["Sync/0 ConfigMap settings created Succeeded", "PostSync/0 Job smoke created Failed"])
            #expect(detail.tasks[1].log?.contains("smoke test failed: 502") == true)
            #expect(try await fixture.live("v1", "ConfigMap", "settings") != nil)
        }
    }

    @Test("many Deployments of one namespace are waited for with one watch, and one that crashes is named")
    func manyDeploymentsShareAWatch() async throws {
        try await SyncFixture.with { fixture in
            var files: [String: String?] = [:]
            for index in 0..<10 {
                files["app/web-\(index).yaml"] = YAML.deployment("web-\(index)", script: index == 7 ? "exit 1" : "sleep 3600")
            }
            try fixture.push(files)
            // 15 s: time for ten Pods to start on a machine loaded by the rest of the suite.
            let result = try await fixture.sync { $0.healthTimeout = .seconds(15) }
            #expect(result.outcome == .failed)
            #expect(result.message.contains("1 object did not become healthy within 15s"), "\(result.message)")
            #expect(result.message.contains("Deployment default/web-7"), "\(result.message)")

            // Fixed, every one becomes healthy.
            try fixture.push(["app/web-7.yaml": YAML.deployment("web-7")])
            let fixed = try await fixture.sync()
            #expect(fixed.outcome == .succeeded, "\(fixed.message)")
            for index in 0..<10 {
                let web = try #require(try await fixture.live("apps/v1", "Deployment", "web-\(index)"))
                #expect(HealthCheck.health(of: web).status == .healthy)
            }
        }
    }

    @Test("a Secret's values reach the cluster but never the ledger's record of the revision")
    func secretValuesStayOutOfTheLedger() async throws {
        try await SyncFixture.with { fixture in
            let revision = try fixture.push([
                "app/secret.yaml": """
                    apiVersion: v1
                    kind: Secret
                    metadata:
                      name: db
                    stringData:
                      password: hunter2-very-secret
                    data:
                      token: c2VjcmV0LXRva2VuLXZhbHVl

                    """,
            ])
            let result = try await fixture.sync()
            #expect(result.outcome == .succeeded, "\(result.message)")
            let live = try #require(try await fixture.live("v1", "Secret", "db"))
            #expect(live[path: ["data", "token"]]?.stringValue == "c2VjcmV0LXRva2VuLXZhbHVl")
            let recorded = String(decoding: try #require(try await fixture.ledger.manifests(app: "shop", revision: revision)), as: UTF8.self)
            #expect(recorded.contains("kind: Secret"))
            #expect(recorded.contains("password"))
            #expect(!recorded.contains("hunter2-very-secret"))
            #expect(!recorded.contains("c2VjcmV0LXRva2VuLXZhbHVl"))
            #expect(recorded.contains(Redaction.placeholder))
        }
    }

    @Test("a ledger that cannot be written stops the sync before anything is applied")
    func unwritableLedgerStopsTheSync() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push(["app/config.yaml": YAML.configMap("settings")])
            try await fixture.ledger.close()
            await #expect(throws: LedgerError.self) { _ = try await fixture.sync() }
            #expect(try await fixture.live("v1", "ConfigMap", "settings") == nil)
            #expect(try await fixture.inventory() == nil)
        }
    }
}
