import Foundation
import KubeModel
import Ledger
import SyncEngine
import Testing
import TestSupport

/// A sync stopped from outside (`--timeout`, a cancelled task as SIGTERM or a superseding commit
/// cancels it) deletes only the hooks still running, with their finalizers released; hooks that
/// completed before the stop keep their delete policies' meaning for their own result, and SyncFail
/// still runs (SYNC-SEMANTICS.md, "Hook completion").
@Suite("A stopped sync deletes only its running hooks", .timeLimit(.minutes(8)))
struct StoppedSyncTests {
    static let hook = "argocd.argoproj.io/hook"
    static let deletePolicy = "argocd.argoproj.io/hook-delete-policy"
    static let wave = "argocd.argoproj.io/sync-wave"

    /// Wave -1: a backup that succeeds (`HookFailed`) and a cleanup that succeeds (`HookSucceeded`);
    /// wave 0: a migration that runs until it is stopped; a SyncFail alert.
    static func push(_ fixture: SyncFixture) throws {
        try fixture.push([
            "app/backup.yaml": YAML.job(
                "backup", script: "echo backed up", annotations: [Self.hook: "PreSync", Self.deletePolicy: "HookFailed", Self.wave: "-1"]),
            "app/cleanup.yaml": YAML.job(
                "cleanup", script: "echo cleaned", annotations: [Self.hook: "PreSync", Self.deletePolicy: "HookSucceeded", Self.wave: "-1"]),
            "app/migrate.yaml": YAML.job(
                "migrate", script: "echo long migration; sleep 120", annotations: [Self.hook: "PreSync", Self.deletePolicy: "HookFailed"]),
            "app/alert.yaml": YAML.job("alert", script: "echo paging on-call", annotations: [Self.hook: "SyncFail"]),
            "app/config.yaml": YAML.configMap("settings"),
        ])
    }

    /// What every way of stopping leaves behind.
    static func expectStopped(_ fixture: SyncFixture, _ result: SyncResult, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        #expect(result.outcome == .failed, sourceLocation: sourceLocation)
        // The running hook is gone, not left Terminating: its finalizer was released before the delete.
        try await waitUntil(timeout: .seconds(30), "the running hook is deleted") {
            try await fixture.live("batch/v1", "Job", "migrate") == nil
        }
        // The completed HookFailed hook succeeded: the stop does not make it a failure, so it stays,
        // without Sluice's finalizer.
        let backup = try #require(try await fixture.live("batch/v1", "Job", "backup"), sourceLocation: sourceLocation)
        #expect(!backup.finalizers.contains("sluice.dev/hook-finalizer"), "\(backup.finalizers)", sourceLocation: sourceLocation)
        #expect(HookCompletion.of(backup) == .succeeded, sourceLocation: sourceLocation)
        // The completed HookSucceeded hook succeeded: deleted by its own policy.
        #expect(try await fixture.live("batch/v1", "Job", "cleanup") == nil, sourceLocation: sourceLocation)
        #expect(try await fixture.live("v1", "ConfigMap", "settings") == nil, "nothing of the Sync phase ran", sourceLocation: sourceLocation)

        let detail = try await fixture.detail(result)
        #expect(detail.attempt.phaseReached == "SyncFail", sourceLocation: sourceLocation)
        #expect(
            taskLines(detail) == [
                "PreSync/-1 Job backup created Succeeded",
                "PreSync/-1 Job cleanup created Succeeded",
                "PreSync/0 Job migrate created Failed",
                "PreSync/-1 Job cleanup deleted Succeeded",
                "SyncFail/0 Job alert created Succeeded",
            ], sourceLocation: sourceLocation)
        let migrate = try #require(task(detail, "migrate"), sourceLocation: sourceLocation)
        #expect(migrate.message.hasPrefix("stopped: "), "\(migrate.message)", sourceLocation: sourceLocation)
        #expect(migrate.log?.contains("long migration") == true, "the stopped hook's log is kept", sourceLocation: sourceLocation)
        #expect(task(detail, "alert")?.log?.contains("paging on-call") == true, sourceLocation: sourceLocation)
    }

    @Test("--timeout stops the sync: the running hook is deleted with its finalizer released, a succeeded HookFailed hook stays, a succeeded HookSucceeded hook goes, SyncFail runs")
    func timeout() async throws {
        try await SyncFixture.with { fixture in
            try Self.push(fixture)
            // 8 s: long enough for wave -1 to complete and the migration to start even on a loaded machine.
            let result = try await fixture.sync { $0.timeout = .seconds(8) }
            #expect(result.error?.code == .timeout)
            #expect(result.message.contains("the sync ran over its timeout of 8s"), "\(result.message)")
            try await Self.expectStopped(fixture, result)
        }
    }

    @Test("a cancelled sync (SIGTERM, a superseding commit) stops the same way: only the running hook is deleted, and SyncFail runs")
    func cancelled() async throws {
        try await SyncFixture.with { fixture in
            try Self.push(fixture)
            let running = Task { try await fixture.sync() }
            try await waitUntil(timeout: .seconds(60), poll: .milliseconds(100), "the migration's Pod runs") {
                try await !fixture.names("v1", "Pod", labelSelector: "job-name=migrate").isEmpty
            }
            running.cancel()
            let result = try await running.value
            #expect(result.error?.code == .cancelled, "\(result.message)")
            try await Self.expectStopped(fixture, result)
        }
    }

    @Test("a sync that fails (not stopped) still deletes every completed HookFailed hook, the succeeded one too, as Argo CD does")
    func failureKeepsArgoRule() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/backup.yaml": YAML.job(
                    "backup", script: "echo backed up", annotations: [Self.hook: "PreSync", Self.deletePolicy: "HookFailed", Self.wave: "-1"]),
                "app/migrate.yaml": YAML.job("migrate", script: "exit 3", annotations: [Self.hook: "PreSync"]),
            ])
            let result = try await fixture.sync()
            #expect(result.outcome == .failed)
            #expect(try await fixture.live("batch/v1", "Job", "backup") == nil)
            #expect(try await fixture.live("batch/v1", "Job", "migrate") != nil, "BeforeHookCreation: kept for a look")
        }
    }
}
