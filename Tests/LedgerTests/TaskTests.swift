import KubeModel
import Foundation
import Ledger
import Testing

@Suite("Tasks, hook logs and change sets")
struct TaskTests {
    @Test("Tasks are kept in execution order and updated as the sync runs", arguments: LedgerBackend.allCases)
    func tasksInOrder(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let ledger = fixture.ledger
        let attempt = try await fixture.begin(revision("a1"))
        let start = fixture.clock.now()
        let migrate = try await ledger.beginTask(
            in: attempt, phase: "PreSync", wave: -1, object: migrateJob,
            hook: true, action: .created)
        fixture.clock.advance(by: 5)
        try await ledger.updateTask(migrate, status: .succeeded, message: "job completed")
        let config = try await ledger.beginTask(
            in: attempt, phase: "Sync", wave: 0, object: configMap("settings"), hook: false, action: .unchanged,
            status: .succeeded)
        let web = try await ledger.beginTask(
            in: attempt, phase: "Sync", wave: 1, object: deployment("web"), hook: false, action: .configured)
        fixture.clock.advance(by: 2)
        try await ledger.updateTask(web, status: .failed, action: .created, message: "Deployment web is Degraded")

        let tasks = try await ledger.tasks(of: attempt)
        #expect(tasks.map(\.id) == [migrate, config, web])
        #expect(tasks.map(\.position) == [1, 2, 3])
        #expect(tasks.map(\.phase) == ["PreSync", "Sync", "Sync"])
        #expect(tasks.map(\.wave) == [-1, 0, 1])
        #expect(tasks.map(\.status) == [.succeeded, .succeeded, .failed])
        #expect(tasks.map(\.action) == [.created, .unchanged, .created])
        #expect(tasks[0].hook && !tasks[1].hook)
        #expect(tasks[0].message == "job completed")
        #expect(tasks[0].startedAt == start)
        #expect(tasks[0].finishedAt == start.addingTimeInterval(5))
        #expect(tasks[1].finishedAt == tasks[1].startedAt)
        #expect(tasks[2].message == "Deployment web is Degraded")
        #expect(tasks[2].finishedAt == start.addingTimeInterval(7))
        #expect(tasks.allSatisfy { $0.log == nil })
        #expect(try await ledger.statistics().tasks == 3)
    }

    @Test("A task that is still running has no finish time", arguments: LedgerBackend.allCases)
    func runningTaskHasNoFinish(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let attempt = try await fixture.begin(revision("a1"))
        let task = try await fixture.ledger.beginTask(
            in: attempt, phase: "Sync", wave: 0, object: deployment("web"), hook: false, action: .created)
        try await fixture.ledger.updateTask(task, status: .running, message: "waiting for rollout")
        let record = try #require(try await fixture.ledger.tasks(of: attempt).first)
        #expect(record.status == .running)
        #expect(record.finishedAt == nil)
        #expect(record.message == "waiting for rollout")
    }

    struct LogCase: CustomTestStringConvertible, Sendable {
        let testDescription: String
        let chunks: [String]
        let limit: Int
        let expected: String
    }

    static let logCases: [LogCase] = [
        .init(testDescription: "a log within the limit is stored whole", chunks: ["line 1\n", "line 2\n"], limit: 64,
              expected: "line 1\nline 2\n"),
        .init(testDescription: "a long log keeps its end and notes the cut", chunks: ["0123456789", "abcdef"], limit: 8,
              expected: "[sluice: 8 earlier bytes of this log were truncated; the last 8 bytes follow]\n89abcdef"),
        .init(testDescription: "cuts accumulate over appends", chunks: ["aaaa", "bbbb", "cccc"], limit: 6,
              expected: "[sluice: 6 earlier bytes of this log were truncated; the last 6 bytes follow]\nbbcccc"),
        .init(testDescription: "a cut never splits a character", chunks: ["ab", "ééé"], limit: 5,
              expected: "[sluice: 4 earlier bytes of this log were truncated; the last 4 bytes follow]\néé"),
    ]

    @Test("Hook logs are capped, keeping the end and noting the truncation", arguments: LedgerBackend.allCases, logCases)
    func logsCapped(_ backend: LedgerBackend, _ logCase: LogCase) async throws {
        let fixture = try await LedgerFixture(backend, logLimit: logCase.limit)
        let attempt = try await fixture.begin(revision("a1"))
        let task = try await fixture.ledger.beginTask(
            in: attempt, phase: "PreSync", wave: 0, object: migrateJob,
            hook: true, action: .created)
        for chunk in logCase.chunks { try await fixture.ledger.appendLog(chunk, to: task) }
        #expect(try await fixture.ledger.tasks(of: attempt).first?.log == logCase.expected)
    }

    @Test("The default cap keeps the last 256 KiB of a hook log", arguments: LedgerBackend.allCases)
    func defaultLogCap(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let attempt = try await fixture.begin(revision("a1"))
        let task = try await fixture.ledger.beginTask(
            in: attempt, phase: "PostSync", wave: 0, object: 
            ObjectIdentity(group: "", kind: "Pod", namespace: "shop", name: "smoke"),
            hook: true, action: .created)
        let line = String(repeating: "x", count: 1023) + "\n"
        try await fixture.ledger.appendLog(String(repeating: line, count: 300) + "the end\n", to: task)
        let log = try #require(try await fixture.ledger.tasks(of: attempt).first?.log)
        #expect(log.hasPrefix("[sluice: "))
        #expect(log.hasSuffix("the end\n"))
        let body = log.split(separator: "\n", maxSplits: 1)[1]
        #expect(body.utf8.count == 256 * 1024)
    }

    @Test("A change set is stored per attempt and read back list by list", arguments: LedgerBackend.allCases)
    func changeSets(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let attempt = try await fixture.begin(revision("a1"))
        let other = try await fixture.begin(revision("b2"))
        #expect(try await fixture.ledger.changes(of: attempt).isEmpty)

        let changes = ChangeSet(
            created: [deployment("api"), configMap("api-settings")],
            configured: [deployment("web")],
            unchanged: [ObjectIdentity(group: "", kind: "Namespace", namespace: "", name: "shop")],
            pruned: [deployment("legacy")])
        try await fixture.ledger.recordChanges(ChangeSet(created: [deployment("old")]), for: attempt)
        try await fixture.ledger.recordChanges(changes, for: attempt)

        #expect(try await fixture.ledger.changes(of: attempt) == changes)
        #expect(try await fixture.ledger.changes(of: other).isEmpty)
        #expect(changes.created.map(\.description) == ["apps/Deployment/shop/api", "/ConfigMap/shop/api-settings"])
    }
}
