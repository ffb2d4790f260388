import Foundation
import Synchronization
import SyncEngine
import Testing

/// What a sync tells a person watching while it runs: phases, waits that are still going, hooks
/// running, and hook output as it is printed.
@Suite("Sync progress, end to end", .timeLimit(.minutes(8)))
struct SyncProgressTests {
    static let hook = "argocd.argoproj.io/hook"

    /// Collects the events a sync reports, in order.
    final class Recorder: Sendable {
        private let events = Mutex<[SyncProgress.Event]>([])

        func progress(followHooks: Bool) -> SyncProgress {
            SyncProgress(interval: .milliseconds(100), followHooks: followHooks) { event in
                self.events.withLock { $0.append(event) }
            }
        }

        var all: [SyncProgress.Event] { events.withLock { $0 } }
        var lines: [String] { all.map(\.line) }

        func output(of prefix: String) -> [String] {
            all.compactMap { event in
                guard case .hookOutput(let hook, let line) = event, hook.hasPrefix(prefix) else { return nil }
                return line
            }
        }
    }

    @Test("a sync reports each phase, a Deployment still rolling out, and a running hook every interval, then how the hook ended")
    func phasesWaitsAndHooks() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/migrate.yaml": YAML.job("migrate", script: "echo start; sleep 0.6; echo end", annotations: [Self.hook: "PreSync"]),
                // The container's readiness probe first runs after 1 s, so the health wait outlasts a few intervals.
                "app/web.yaml": YAML.deployment("web"),
            ])
            let recorder = Recorder()
            let result = try await fixture.sync(progress: recorder.progress(followHooks: false))
            #expect(result.outcome == .succeeded, "\(result.message)")
            let lines = recorder.lines
            let phases = recorder.all.compactMap { event -> String? in
                if case .phase(let phase) = event { return phase }
                return nil
            }
            #expect(phases == ["PreSync", "Sync", "Health"], "\(lines)")
            #expect(lines.first { $0 == "hook PreSync Job default/migrate: running" } != nil, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("hook PreSync Job default/migrate: running (") && $0.hasSuffix("s)") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("hook PreSync Job default/migrate: Succeeded (") }, "\(lines)")
            let waits = lines.filter { $0.hasPrefix("waiting for Deployment default/web: ") }
            #expect(!waits.isEmpty, "\(lines)")
            #expect(waits.allSatisfy { $0.hasSuffix(" of 1m)") }, "\(waits)")
            // Without --follow-hooks the output is not streamed (the ledger keeps it).
            #expect(recorder.output(of: "migrate").isEmpty)
        }
    }

    @Test("with follow-hooks, every line a hook prints is reported in order with the hook's name, the failing one's too, and SyncFail's")
    func followedHookOutput() async throws {
        try await SyncFixture.with { fixture in
            let script = (1...20).map { "echo line \($0)" }.joined(separator: "; ") + "; sleep 0.3; echo last"
            try fixture.push([
                "app/migrate.yaml": YAML.job("migrate", script: script, annotations: [Self.hook: "PreSync"]),
                "app/check.yaml": YAML.job("check", script: "echo checking; echo 'ERROR: no such table' >&2; exit 3", annotations: [Self.hook: "PostSync"]),
                "app/notify.yaml": YAML.job("notify", script: "echo paging the on-call", annotations: [Self.hook: "SyncFail"]),
                "app/config.yaml": YAML.configMap("settings"),
            ])
            let recorder = Recorder()
            let result = try await fixture.sync(progress: recorder.progress(followHooks: true))
            #expect(result.outcome == .failed)
            #expect(recorder.output(of: "migrate") == (1...20).map { "line \($0)" } + ["last"], "\(recorder.lines)")
            #expect(recorder.output(of: "check") == ["checking", "ERROR: no such table"], "\(recorder.lines)")
            #expect(recorder.output(of: "notify") == ["paging the on-call"], "\(recorder.lines)")
            #expect(recorder.lines.contains { $0.hasPrefix("hook PostSync Job default/check: Failed") }, "\(recorder.lines)")
            #expect(recorder.lines.contains("phase SyncFail"), "\(recorder.lines)")
            // The ledger keeps the same output.
            let detail = try await fixture.detail(result)
            let migrate = try #require(detail.tasks.first { $0.object.name == "migrate" })
            #expect(migrate.log?.contains("line 20") == true)
        }
    }
}
