import Foundation
import KubeModel
import Ledger
import TestSupport

/// `scripts/bench/ledger`: the ledger's cost on each backend, measured in one run: SQLite in a
/// state directory against PostgreSQL on loopback (Debian's server, started here).
///
/// A recorded attempt is what a typical sync writes: the attempt, its manifests, the Validate and
/// Sync phases, `tasks` tasks each started and finished, the change set and the end. Reported:
/// attempts recorded per second (one writer, as the agent's one leader writes), history pages
/// (`sluice history`, 50 attempts) and attempt details (`sluice show`) read per second, and the
/// ledger time added to each sync; PostgreSQL against SQLite as a ratio.
enum LedgerBenchmark {
    struct Figures {
        var attemptsPerSecond: Double
        var historyReadsPerSecond: Double
        var detailReadsPerSecond: Double
        var millisecondsPerSync: Double
    }

    static func run(attempts: Int, tasks: Int, reads: Int) async throws {
        print("ledger benchmark: \(attempts) attempts of \(tasks) tasks each, then \(reads) history pages and \(reads) details")
        let directory = try TemporaryDirectory(label: "bench-ledger")
        let sqlite = try await measure(
            try await Ledger.open(.sqlite(path: directory.appending("state/ledger.sqlite").path), stateDirectory: directory.path),
            attempts: attempts, tasks: tasks, reads: reads)
        let server = try await PostgresServer.start()
        defer { server.stop() }
        let settings = try PostgresLedgerSettings(url: server.url(), password: server.password)
        let postgres = try await measure(
            try await Ledger.open(.postgres(settings), stateDirectory: directory.path), attempts: attempts, tasks: tasks, reads: reads)

        func row(_ name: String, _ value: (Figures) -> Double, unit: String, higherIsBetter: Bool) {
            let (a, b) = (value(sqlite), value(postgres))
            let ratio = a > 0 ? b / a : 0
            let label = name.padding(toLength: 24, withPad: " ", startingAt: 0)
            print(
                "  \(label)" + String(format: "SQLite %9.1f   PostgreSQL %9.1f %@   PostgreSQL/SQLite %.2f× (%@)", a, b, unit, ratio,
                       higherIsBetter ? "higher is better" : "lower is better"))
        }
        row("attempts recorded", \.attemptsPerSecond, unit: "/s", higherIsBetter: true)
        row("history pages read", \.historyReadsPerSecond, unit: "/s", higherIsBetter: true)
        row("attempt details read", \.detailReadsPerSecond, unit: "/s", higherIsBetter: true)
        row("ledger time per sync", \.millisecondsPerSync, unit: "ms", higherIsBetter: false)
    }

    static func measure(_ ledger: Ledger, attempts: Int, tasks: Int, reads: Int) async throws -> Figures {
        let manifests = Array(String(repeating: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n---\n", count: 50).utf8)
        var revisions: [String] = []
        let writeStart = ContinuousClock.now
        for index in 0..<attempts {
            let revision = String(format: "%040x", index + 1)
            revisions.append(revision)
            let attempt = try await ledger.beginAttempt(
                app: "bench", revision: revision, ref: "refs/heads/main", author: "Bench <bench@example.com>", message: "commit \(index)", trigger: .poll)
            try await ledger.recordManifests(manifests, for: attempt)
            try await ledger.enterPhase("Validate", of: attempt)
            try await ledger.enterPhase("Sync", of: attempt)
            var changes = ChangeSet()
            for number in 0..<tasks {
                let object = ObjectIdentity(group: "", kind: "ConfigMap", namespace: "bench", name: "settings-\(number)")
                let task = try await ledger.beginTask(in: attempt, phase: "Sync", wave: 0, object: object, hook: false, action: .configured)
                try await ledger.updateTask(task, status: .succeeded)
                changes.configured.append(object)
            }
            try await ledger.recordChanges(changes, for: attempt)
            try await ledger.finishAttempt(attempt, outcome: .succeeded)
        }
        let writing = seconds(ContinuousClock.now - writeStart)
        let historyStart = ContinuousClock.now
        for _ in 0..<reads { _ = try await ledger.history(app: "bench", limit: 50) }
        let history = seconds(ContinuousClock.now - historyStart)
        let detailStart = ContinuousClock.now
        for index in 0..<reads { _ = try await ledger.detail(app: "bench", revision: revisions[index % revisions.count]) }
        let details = seconds(ContinuousClock.now - detailStart)
        try await ledger.close()
        return Figures(
            attemptsPerSecond: Double(attempts) / writing, historyReadsPerSecond: Double(reads) / history,
            detailReadsPerSecond: Double(reads) / details, millisecondsPerSync: writing / Double(attempts) * 1000)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
