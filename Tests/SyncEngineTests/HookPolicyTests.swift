import Foundation
import KubeModel
import Ledger
import SyncEngine
import Testing

/// Hooks end to end: their names, delete policies, timeouts, Helm annotations, the order of the
/// Argo CD sample applications, and that a commit outside the application runs none.
@Suite("Hook policies, end to end", .timeLimit(.minutes(8)))
struct HookPolicyTests {
    static let hook = "argocd.argoproj.io/hook"
    static let deletePolicy = "argocd.argoproj.io/hook-delete-policy"
    static let wave = "argocd.argoproj.io/sync-wave"

    // MARK: Names

    @Test("a generateName hook is named per attempt from the prefix, the revision, the phase and the attempt's start, so two attempts leave two Jobs")
    func generatedNamePerAttempt() async throws {
        try await SyncFixture.with { fixture in
            // The hook runs over a second, so the second attempt starts in a later second than the first.
            let revision = try fixture.push([
                "app/migrate.yaml": YAML.job("db-migrate-", script: "echo migrating; sleep 1.2", annotations: [Self.hook: "PreSync"], generateName: true),
                "app/config.yaml": YAML.configMap("settings"),
            ])
            let first = try await fixture.sync()
            #expect(first.outcome == .succeeded, "\(first.message)")
            let second = try await fixture.sync(trigger: .manual) { $0.full = true }
            #expect(second.outcome == .succeeded, "\(second.message)")

            var names: [String] = []
            for result in [first, second] {
                let detail = try await fixture.detail(result)
                let task = try #require(detail.tasks.first { $0.hook && $0.phase == "PreSync" })
                let prefix = "db-migrate-\(revision.prefix(7))-presync-"
                #expect(task.object.name.hasPrefix(prefix), "\(task.object.name)")
                let seconds = try #require(Int64(task.object.name.dropFirst(prefix.count)), "\(task.object.name)")
                let started = Int64(detail.attempt.startedAt.timeIntervalSince1970)
                #expect(abs(seconds - started) <= 1, "\(seconds) vs attempt start \(started)")
                #expect(task.status == .succeeded)
                #expect(task.log?.contains("migrating") == true)
                names.append(task.object.name)
            }
            #expect(names[0] != names[1])
            #expect(try await fixture.names("batch/v1", "Job") == names.sorted())
        }
    }

    @Test("a hook with neither name nor generateName runs under <revision[0:7]>-<phase>-<attempt start> instead of refusing the revision")
    func unnamedHookRuns() async throws {
        try await SyncFixture.with { fixture in
            let unnamed = YAML.job("placeholder", script: "echo unnamed ran", annotations: [Self.hook: "PreSync"])
                .replacingOccurrences(of: "  name: placeholder\n", with: "")
            let revision = try fixture.push(["app/unnamed.yaml": unnamed, "app/config.yaml": YAML.configMap("settings")])
            let result = try await fixture.sync()
            #expect(result.outcome == .succeeded, "\(result.message)")
            let detail = try await fixture.detail(result)
            let started = Int64(detail.attempt.startedAt.timeIntervalSince1970)
            let hook = try #require(detail.tasks.first { $0.hook && $0.phase == "PreSync" })
            // The ledger's start and the engine's may straddle a second.
            let expected = [started - 1, started, started + 1].map { "\(revision.prefix(7).lowercased())-presync-\($0)" }
            #expect(expected.contains(hook.object.name), "\(hook.object.name)")
            #expect(hook.status == .succeeded)
            #expect(hook.log?.contains("unnamed ran") == true)
            #expect(try await fixture.names("batch/v1", "Job") == [hook.object.name])
        }
    }

    @Test("objects and hooks that name no namespace go to the application's default namespace, not the client's")
    func applicationNamespace() async throws {
        try await SyncFixture.with { fixture in
            _ = try await fixture.client.create(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "shop-ns"]])
            try fixture.push([
                "app/migrate.yaml": YAML.job("db-migrate-", script: "echo migrating", annotations: [Self.hook: "PreSync"], generateName: true),
                "app/config.yaml": YAML.configMap("settings"),
            ])
            let result = try await fixture.sync(namespace: "shop-ns")
            #expect(result.outcome == .succeeded, "\(result.message)")
            let hook = try #require(try await fixture.detail(result).tasks.first { $0.hook && $0.phase == "PreSync" })
            #expect(hook.object.namespace == "shop-ns")
            #expect(hook.log?.contains("migrating") == true)
            #expect(try await fixture.live("v1", "ConfigMap", "settings", namespace: "shop-ns") != nil)
            #expect(try await fixture.live("v1", "ConfigMap", "settings", namespace: "default") == nil)
            #expect(try await fixture.live("batch/v1", "Job", hook.object.name, namespace: "default") == nil)
        }
    }

    // MARK: Delete policies and re-runs

    @Test("a named hook with the default BeforeHookCreation policy is deleted and created again, so it runs on every sync")
    func beforeHookCreationReruns() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/migrate.yaml": YAML.job("migrate", script: "echo migrated", annotations: [Self.hook: "PreSync"]),
                "app/config.yaml": YAML.configMap("settings"),
            ])
            let first = try await fixture.sync()
            #expect(first.outcome == .succeeded, "\(first.message)")
            let before = try #require(try await fixture.live("batch/v1", "Job", "migrate")?.uid)

            try fixture.push(["app/config.yaml": YAML.configMap("settings", data: "a: \"2\"")])
            let second = try await fixture.sync()
            #expect(second.outcome == .succeeded, "\(second.message)")
            let after = try #require(try await fixture.live("batch/v1", "Job", "migrate")?.uid)
            #expect(after != before)
            let detail = try await fixture.detail(second)
            #expect(taskLines(detail) == ["PreSync/0 Job migrate created Succeeded", "Sync/0 ConfigMap settings configured Succeeded"])
            #expect(task(detail, "migrate")?.log?.contains("migrated") == true)
            #expect(try await fixture.names("v1", "Pod", labelSelector: "job-name=migrate").count == 1)
        }
    }

    @Test("a named hook with only HookFailed that still exists is re-applied, not re-run: the same Job and its one Pod")
    func hookFailedOnlyIsReappliedNotRerun() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/migrate.yaml": YAML.job("migrate", script: "echo migrated once", annotations: [Self.hook: "PreSync", Self.deletePolicy: "HookFailed"]),
                "app/config.yaml": YAML.configMap("settings"),
            ])
            let first = try await fixture.sync()
            #expect(first.outcome == .succeeded, "\(first.message)")
            let before = try #require(try await fixture.live("batch/v1", "Job", "migrate")?.uid)

            try fixture.push(["app/config.yaml": YAML.configMap("settings", data: "a: \"2\"")])
            let second = try await fixture.sync()
            #expect(second.outcome == .succeeded, "\(second.message)")
            let job = try #require(try await fixture.live("batch/v1", "Job", "migrate"))
            #expect(job.uid == before)
            #expect(!job.finalizers.contains(Tracking.hookFinalizer))
            #expect(try await fixture.names("v1", "Pod", labelSelector: "job-name=migrate").count == 1)
            let detail = try await fixture.detail(second)
            let task = try #require(detail.tasks.first { $0.object.name == "migrate" })
            #expect(task.action != .created, "\(task.action)")
            #expect(task.status == .succeeded)
            #expect(taskLines(detail).last == "Sync/0 ConfigMap settings configured Succeeded")
        }
    }

    @Test("a HookSucceeded hook is deleted at the end of a successful sync, and the deletion is recorded")
    func hookSucceededDeletedOnSuccess() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/migrate.yaml": YAML.job("migrate", script: "echo migrated", annotations: [Self.hook: "PreSync", Self.deletePolicy: "HookSucceeded"]),
                "app/config.yaml": YAML.configMap("settings"),
            ])
            let result = try await fixture.sync()
            #expect(result.outcome == .succeeded, "\(result.message)")
            #expect(try await fixture.live("batch/v1", "Job", "migrate") == nil)
            let detail = try await fixture.detail(result)
            #expect(taskLines(detail) == [
                "PreSync/0 Job migrate created Succeeded",
                "Sync/0 ConfigMap settings created Succeeded",
                "PreSync/0 Job migrate deleted Succeeded",
            ])
            #expect(task(detail, "migrate")?.log?.contains("migrated") == true)
        }
    }

    @Test("a HookSucceeded hook stays when the sync fails later, in PostSync")
    func hookSucceededKeptOnFailure() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/migrate.yaml": YAML.job("migrate", script: "echo migrated", annotations: [Self.hook: "PreSync", Self.deletePolicy: "HookSucceeded"]),
                "app/config.yaml": YAML.configMap("settings"),
                "app/check.yaml": YAML.job("smoke", script: "echo 'smoke failed'; exit 1", annotations: [Self.hook: "PostSync"]),
            ])
            let result = try await fixture.sync()
            #expect(result.outcome == .failed)
            let migrate = try #require(try await fixture.live("batch/v1", "Job", "migrate"))
            #expect(!migrate.finalizers.contains(Tracking.hookFinalizer))
            #expect(try await fixture.live("batch/v1", "Job", "smoke") != nil)
            let detail = try await fixture.detail(result)
            #expect(taskLines(detail) == [
                "PreSync/0 Job migrate created Succeeded",
                "Sync/0 ConfigMap settings created Succeeded",
                "PostSync/0 Job smoke created Failed",
            ])
        }
    }

    @Test("HookFailed hooks are deleted when the sync fails, the failed one and one that succeeded before it, with the log kept in the ledger")
    func hookFailedDeletedOnFailure() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/backup.yaml": YAML.job(
                    "backup", script: "echo backed up", annotations: [Self.hook: "PreSync", Self.deletePolicy: "HookFailed", Self.wave: "-1"]),
                "app/migrate.yaml": YAML.job(
                    "migrate", script: "echo 'ERROR: duplicate column' >&2; exit 2", annotations: [Self.hook: "PreSync", Self.deletePolicy: "HookFailed"]),
                "app/config.yaml": YAML.configMap("settings"),
            ])
            let result = try await fixture.sync()
            #expect(result.outcome == .failed)
            #expect(result.message.contains("PreSync hook Job migrate failed"), "\(result.message)")
            #expect(try await fixture.live("batch/v1", "Job", "migrate") == nil)
            #expect(try await fixture.live("batch/v1", "Job", "backup") == nil)
            #expect(try await fixture.live("v1", "ConfigMap", "settings") == nil)
            let detail = try await fixture.detail(result)
            #expect(taskLines(detail) == [
                "PreSync/-1 Job backup created Succeeded",
                "PreSync/0 Job migrate created Failed",
                "PreSync/-1 Job backup deleted Succeeded",
                "PreSync/0 Job migrate deleted Succeeded",
            ])
            #expect(task(detail, "migrate")?.log?.contains("ERROR: duplicate column") == true)
        }
    }

    // MARK: Timeouts

    /// Where a hook's time limit comes from, and how the failure names it.
    enum TimeoutSource: String, CaseIterable, Sendable {
        case annotation, fractionalAnnotation, flag

        var annotation: String? {
            switch self {
            case .annotation: return "2s"
            case .fractionalAnnotation: return "1500ms"
            case .flag: return nil
            }
        }

        var shown: String { self == .fractionalAnnotation ? "1.5s" : "2s" }
    }

    @Test("a hook over its timeout fails the sync, is deleted, and SyncFail runs", arguments: TimeoutSource.allCases)
    func hookTimeout(source: TimeoutSource) async throws {
        try await SyncFixture.with { fixture in
            var annotations = [Self.hook: "PreSync"]
            annotations["sluice.dev/hook-timeout"] = source.annotation
            try fixture.push([
                "app/migrate.yaml": YAML.job("migrate", script: "echo waiting for a lock; sleep 60", annotations: annotations),
                "app/config.yaml": YAML.configMap("settings"),
                "app/alert.yaml": YAML.job("alert", script: "echo paging on-call", annotations: [Self.hook: "SyncFail"]),
            ])
            let result = try await fixture.sync { if source == .flag { $0.hookTimeout = .seconds(2) } }
            #expect(result.outcome == .failed)
            #expect(result.message.contains("PreSync hook Job migrate ran over its timeout of \(source.shown)"), "\(result.message)")
            #expect(try await fixture.live("batch/v1", "Job", "migrate") == nil)
            #expect(try await fixture.live("v1", "ConfigMap", "settings") == nil)
            let detail = try await fixture.detail(result)
            #expect(detail.attempt.phaseReached == "SyncFail")
            #expect(taskLines(detail) == ["PreSync/0 Job migrate created Failed", "SyncFail/0 Job alert created Succeeded"])
            #expect(task(detail, "migrate")?.log?.contains("waiting for a lock") == true)
            #expect(task(detail, "alert")?.log?.contains("paging on-call") == true)
        }
    }

    @Test("the whole-sync timeout stops a long PreSync hook and runs SyncFail, and the attempt says the sync ran over its timeout")
    func syncTimeout() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/migrate.yaml": YAML.job("migrate", script: "echo long migration; sleep 60", annotations: [Self.hook: "PreSync"]),
                "app/config.yaml": YAML.configMap("settings"),
                "app/alert.yaml": YAML.job("alert", script: "echo paging on-call", annotations: [Self.hook: "SyncFail"]),
            ])
            // 8 s: long enough for the hook's Pod to start and print even on a loaded machine.
            let result = try await fixture.sync { $0.timeout = .seconds(8) }
            #expect(result.outcome == .failed)
            #expect(result.error?.code == .timeout)
            #expect(result.message.contains("the sync ran over its timeout of 8s"), "\(result.message)")
            let detail = try await fixture.detail(result)
            #expect(detail.attempt.outcomeMessage.contains("the sync ran over its timeout of 8s"))
            #expect(detail.attempt.phaseReached == "SyncFail")
            #expect(taskLines(detail) == ["PreSync/0 Job migrate created Failed", "SyncFail/0 Job alert created Succeeded"])
            #expect(task(detail, "migrate")?.log?.contains("long migration") == true)
            #expect(try await fixture.live("batch/v1", "Job", "migrate") == nil)
            #expect(try await fixture.live("v1", "ConfigMap", "settings") == nil)
        }
    }

    // MARK: Helm hooks and the sample applications

    @Test("Helm hook annotations map to phases and waves; a test hook is not applied; before-hook-creation re-runs the hook")
    func helmHooks() async throws {
        try await SyncFixture.with { fixture in
            let revision = try fixture.push([
                "app/schema.yaml": YAML.job(
                    "schema", script: "sleep 0.2", annotations: ["helm.sh/hook": "pre-install", "helm.sh/hook-weight": "-2"], generateName: true),
                "app/maint-up.yaml": YAML.job(
                    "maint-page-up", script: "echo up",
                    annotations: ["helm.sh/hook": "pre-install,pre-upgrade", "helm.sh/hook-weight": "-1", "helm.sh/hook-delete-policy": "before-hook-creation"]),
                "app/frontend.yaml": YAML.replicaSet("frontend"),
                "app/service.yaml": YAML.service("frontend", annotations: ["helm.sh/hook-weight": "2"]),
                "app/crds.yaml": YAML.configMap("crd-like", annotations: ["helm.sh/hook": "crd-install"]),
                "app/maint-down.yaml": YAML.job(
                    "maint-page-down", script: "echo down",
                    annotations: ["helm.sh/hook": "post-install", "helm.sh/hook-delete-policy": "before-hook-creation"]),
                "app/argo.yaml": YAML.job(
                    "argo-wins", script: "echo argo", annotations: [Self.hook: "PostSync", "helm.sh/hook": "pre-install", Self.wave: "1"]),
                "app/test.yaml": YAML.job("chart-test", script: "exit 1", annotations: ["helm.sh/hook": "test"]),
            ])
            let result = try await fixture.sync()
            #expect(result.outcome == .succeeded, "\(result.message)")
            let detail = try await fixture.detail(result)
            // Argo CD appends the suffix to the prefix as written: `schema` gives `schema<revision>-presync-…`.
            let schema = "schema\(revision.prefix(7))-presync-"
            let schemaName = try #require(detail.tasks.first { $0.object.name.hasPrefix(schema) }?.object.name)
            #expect(taskLines(detail) == [
                "Sync/0 Job chart-test skipped Skipped",
                "PreSync/-2 Job \(schemaName) created Succeeded",
                "PreSync/-1 Job maint-page-up created Succeeded",
                "Sync/0 ConfigMap crd-like created Succeeded",
                "Sync/0 ReplicaSet frontend created Succeeded",
                "Sync/2 Service frontend created Succeeded",
                "PostSync/0 Job maint-page-down created Succeeded",
                "PostSync/1 Job argo-wins created Succeeded",
            ])
            expectGroupsInSequence(detail)
            #expect(try await fixture.live("batch/v1", "Job", "chart-test") == nil)
            let up = try #require(try await fixture.live("batch/v1", "Job", "maint-page-up")?.uid)

            // before-hook-creation: the next sync deletes the hook and runs it again.
            let again = try await fixture.sync(trigger: .manual) { $0.full = true }
            #expect(again.outcome == .succeeded, "\(again.message)")
            #expect(try await fixture.live("batch/v1", "Job", "maint-page-up")?.uid != up)
            #expect(try await fixture.live("batch/v1", "Job", "chart-test") == nil)
        }
    }

    @Test("an application shaped like Argo CD's sync-waves sample runs PreSync, then each wave in order with its hooks")
    func syncWavesSample() async throws {
        try await SyncFixture.with { fixture in
            let maintenance = [Self.hook: "Sync", Self.deletePolicy: "BeforeHookCreation"]
            let revision = try fixture.push([
                "app/manifests.yaml": YAML.documents(
                    YAML.job("upgrade-sql-schema", script: "sleep 0.2", annotations: [Self.hook: "PreSync"], generateName: true),
                    YAML.replicaSet("backend"),
                    YAML.service("backend", port: 8080),
                    YAML.job("maint-page-up", script: "sleep 0.2", annotations: maintenance.merging([Self.wave: "1"]) { $1 }),
                    YAML.replicaSet("frontend", annotations: [Self.wave: "2"]),
                    YAML.service("frontend", annotations: [Self.wave: "2"]),
                    YAML.job("maint-page-down", script: "sleep 0.2", annotations: maintenance.merging([Self.wave: "3"]) { $1 }, backoffLimit: 6))
            ])
            let result = try await fixture.sync()
            #expect(result.outcome == .succeeded, "\(result.message)")
            let detail = try await fixture.detail(result)
            #expect(taskLines(detail) == [
                "PreSync/0 Job upgrade-sql-schema\(revision.prefix(7))-presync-\(try generatedSeconds(detail)) created Succeeded",
                "Sync/0 Service backend created Succeeded",
                "Sync/0 ReplicaSet backend created Succeeded",
                "Sync/1 Job maint-page-up created Succeeded",
                "Sync/2 Service frontend created Succeeded",
                "Sync/2 ReplicaSet frontend created Succeeded",
                "Sync/3 Job maint-page-down created Succeeded",
            ])
            expectGroupsInSequence(detail)
            #expect(detail.changes.created.map(\.description) == [
                "/Service/default/backend", "/Service/default/frontend", "apps/ReplicaSet/default/backend", "apps/ReplicaSet/default/frontend",
            ])
        }
    }

    @Test("an application shaped like Argo CD's helm-hooks sample runs its hooks by weight around the objects")
    func helmHooksSample() async throws {
        try await SyncFixture.with { fixture in
            let revision = try fixture.push([
                "app/manifests.yaml": YAML.documents(
                    YAML.job(
                        "upgrade-sql-schema", script: "sleep 0.2", annotations: ["helm.sh/hook": "pre-install", "helm.sh/hook-weight": "-2"],
                        generateName: true),
                    YAML.job(
                        "maint-page-up", script: "sleep 0.2",
                        annotations: ["helm.sh/hook": "pre-install", "helm.sh/hook-delete-policy": "before-hook-creation", "helm.sh/hook-weight": "-1"]),
                    YAML.replicaSet("frontend"),
                    YAML.service("frontend", annotations: ["helm.sh/hook-weight": "2"]),
                    YAML.job(
                        "maint-page-down", script: "sleep 0.2",
                        annotations: ["helm.sh/hook": "post-install", "helm.sh/hook-delete-policy": "before-hook-creation"], backoffLimit: 6))
            ])
            let result = try await fixture.sync()
            #expect(result.outcome == .succeeded, "\(result.message)")
            let detail = try await fixture.detail(result)
            #expect(taskLines(detail) == [
                "PreSync/-2 Job upgrade-sql-schema\(revision.prefix(7))-presync-\(try generatedSeconds(detail)) created Succeeded",
                "PreSync/-1 Job maint-page-up created Succeeded",
                "Sync/0 ReplicaSet frontend created Succeeded",
                "Sync/2 Service frontend created Succeeded",
                "PostSync/0 Job maint-page-down created Succeeded",
            ])
            expectGroupsInSequence(detail)
        }
    }

    // MARK: When hooks run

    @Test("a commit touching only another path is recorded Unchanged and runs no hook")
    func otherPathRunsNothing() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/migrate.yaml": YAML.job("migrate", script: "echo migrated", annotations: [Self.hook: "PreSync"]),
                "app/config.yaml": YAML.configMap("settings"),
            ])
            let first = try await fixture.sync()
            #expect(first.outcome == .succeeded, "\(first.message)")
            let before = try #require(try await fixture.live("batch/v1", "Job", "migrate")?.uid)

            let other = try fixture.push(["docs/README.md": "# Operations\n", "other/config.yaml": YAML.configMap("elsewhere")])
            let second = try await fixture.sync()
            #expect(second.outcome == .unchanged)
            #expect(second.message.contains("no change under app"), "\(second.message)")
            let detail = try await fixture.detail(second)
            #expect(detail.attempt.revision == other)
            #expect(detail.tasks.isEmpty)
            #expect(detail.changes.isEmpty)
            #expect(try await fixture.live("batch/v1", "Job", "migrate")?.uid == before)
            #expect(try await fixture.names("v1", "Pod", labelSelector: "job-name=migrate").count == 1)
            #expect(try await fixture.live("v1", "ConfigMap", "elsewhere") == nil)
        }
    }
}

/// The unix seconds at the end of the attempt's generated hook name (the first task with a name ending in digits after `-presync-`).
private func generatedSeconds(_ detail: AttemptDetail) throws -> String {
    let name = try #require(detail.tasks.first { $0.object.name.contains("-presync-") }?.object.name)
    return String(name.split(separator: "-").last ?? "")
}

/// Every task of a (phase, wave) group finished before any task of a later group started.
private func expectGroupsInSequence(_ detail: AttemptDetail, sourceLocation: SourceLocation = #_sourceLocation) {
    let tasks = detail.tasks.filter { $0.action != .skipped && $0.action != .deleted }
    for (index, earlier) in tasks.enumerated() {
        for later in tasks.dropFirst(index + 1) where later.phase != earlier.phase || later.wave != earlier.wave {
            guard let finished = earlier.finishedAt else {
                Issue.record("\(earlier.object.name) has not finished", sourceLocation: sourceLocation)
                continue
            }
            #expect(
                finished <= later.startedAt, "\(earlier.phase)/\(earlier.wave) \(earlier.object.name) ended after \(later.object.name) started",
                sourceLocation: sourceLocation)
        }
    }
}
