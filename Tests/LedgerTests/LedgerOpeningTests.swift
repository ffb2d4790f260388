import KubeModel
import Foundation
import Ledger
import Synchronization
import Testing
import TestSupport

@Suite("Opening the ledger")
struct LedgerOpeningTests {
    @Test("A fresh state directory gets a ledger file in WAL mode with migration v1 applied")
    func freshFileIsMigrated() async throws {
        let fixture = try await LedgerFixture()
        #expect(try await fixture.ledger.appliedMigrations() == ["v1", "v2", "v3", "v4", "v5", "v6", "v7"])
        #expect(fixture.ledger.interruptedAtOpen == 0)
        _ = try await fixture.begin(revision("a1"))
        #expect(FileManager.default.fileExists(atPath: fixture.ledgerPath))
        #expect(FileManager.default.fileExists(atPath: fixture.ledgerPath + "-wal"))
    }

    @Test("Re-opening a ledger keeps its records and applies no migration twice", arguments: LedgerBackend.allCases)
    func reopenKeepsRecords(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let id = try await fixture.begin(revision("a1"))
        try await fixture.ledger.finishAttempt(id, outcome: .succeeded)
        try await fixture.ledger.close()

        let reopened = try await fixture.reopen()
        #expect(try await reopened.appliedMigrations() == ["v1", "v2", "v3", "v4", "v5", "v6", "v7"])
        #expect(reopened.interruptedAtOpen == 0)
        let history = try await reopened.history(limit: 10)
        #expect(history.map(\.outcome) == [.succeeded])
        #expect(history.first?.revision == revision("a1"))
    }

    @Test("Attempts still running when the agent stopped are marked Interrupted at the next open", arguments: LedgerBackend.allCases)
    func runningBecomesInterrupted(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let stopped = try await fixture.begin(revision("b2"), app: "shop")
        let task = try await fixture.ledger.beginTask(
            in: stopped, phase: "Sync", wave: 0, object: deployment("web"), hook: false, action: .configured)
        let done = try await fixture.begin(revision("c3"), app: "blog")
        try await fixture.ledger.finishAttempt(done, outcome: .succeeded)
        fixture.clock.advance(by: 60)

        let reopened = try await fixture.reopen()
        #expect(reopened.interruptedAtOpen == 1)
        let attempt = try await reopened.attempt(stopped)
        #expect(attempt.outcome == .interrupted)
        #expect(attempt.finishedAt == fixture.clock.now())
        #expect(try await reopened.attempt(done).outcome == .succeeded)
        let tasks = try await reopened.tasks(of: stopped)
        #expect(tasks.map(\.id) == [task])
        #expect(tasks.first?.status == .failed)
        #expect(tasks.first?.message.contains("interrupted") == true)
        #expect(try await fixture.reopen().interruptedAtOpen == 0)
    }

    @Test("On PostgreSQL, processes that open a new database together migrate it once")
    func concurrentOpensMigrateOnce() async throws {
        let settings = try await SharedPostgres.shared.newDatabase()
        let directory = try TemporaryDirectory(label: "ledger")
        let ledgers = try await withThrowingTaskGroup(of: Ledger.self) { group in
            for _ in 0..<6 {
                group.addTask { try await Ledger.open(.postgres(settings), stateDirectory: directory.path) }
            }
            return try await group.reduce(into: [Ledger]()) { $0.append($1) }
        }
        #expect(ledgers.count == 6)
        for ledger in ledgers {
            #expect(try await ledger.appliedMigrations() == ["v1", "v2", "v3", "v4", "v5", "v6", "v7"])
        }
        // Each migration is recorded once, and the tables hold what one ledger wrote for the others.
        let writer = try #require(ledgers.first)
        let attempt = try await writer.beginAttempt(
            app: "shop", revision: revision("e5"), ref: "refs/heads/main", author: "Ada <ada@example.com>", message: "m", trigger: .poll)
        for ledger in ledgers { #expect(try await ledger.attempt(attempt).revision == revision("e5")) }
        for ledger in ledgers { try await ledger.close() }
    }

    @Test("On PostgreSQL, an attempt whose sync lock is held is not Interrupted by another process's open, a second sync waits for the lock, and once it is free the attempt is Interrupted")
    func postgresSyncLockTellsLiveFromDead() async throws {
        let fixture = try await LedgerFixture(.postgres)
        let lock = try await fixture.ledger.lockSync(app: "shop", holder: "test", waiting: { _ in })
        let running = try await fixture.begin(revision("d4"), app: "shop")

        // Another process (a second replica) opens the ledger while the sync runs.
        let other = try await fixture.reopen()
        #expect(other.interruptedAtOpen == 0)
        #expect(try await other.attempt(running).outcome == .running)

        // A second sync of the application waits for the lock, and gets it once it is released.
        let waited = Mutex(false)
        async let second = other.lockSync(app: "shop", holder: "replica 2", waiting: { _ in waited.withLock { $0 = true } })
        try await waitUntil(timeout: .seconds(30), "the second sync waits for the lock") { waited.withLock { $0 } }
        await lock.release()
        let secondLock = try await second
        await secondLock.release()

        // Nobody holds the application's lock now (a dead process's connection releases it; see
        // FaultPathTests for a sync killed with SIGKILL): the next open marks the attempt Interrupted.
        let third = try await fixture.reopen()
        #expect(third.interruptedAtOpen == 1)
        #expect(try await third.attempt(running).outcome == .interrupted)
    }

    enum UnusablePath: String, CaseIterable, CustomTestStringConvertible {
        case directory = "the ledger path is a directory"
        case underRegularFile = "the state directory is a regular file"
        case notADatabase = "the ledger file is not a SQLite database"

        var testDescription: String { rawValue }
    }

    @Test("A ledger file that cannot be opened gives a LedgerError naming the file", arguments: UnusablePath.allCases)
    func unusablePathThrows(_ kind: UnusablePath) async throws {
        let directory = try TemporaryDirectory(label: "ledger")
        let path: String
        switch kind {
        case .directory:
            path = try directory.makeSubdirectory("ledger.sqlite").path
        case .underRegularFile:
            let file = directory.appending("state")
            try Data("not a directory".utf8).write(to: file)
            path = file.path + "/ledger.sqlite"
        case .notADatabase:
            let file = directory.appending("ledger.sqlite")
            try Data(String(repeating: "this is not a database\n", count: 200).utf8).write(to: file)
            path = file.path
        }
        let error = try await #require(throws: LedgerError.self) { try await Ledger(path: path) }
        #expect(error.code == .cannotOpen)
        #expect(error.message.contains(path))
    }

    @Test("A state directory that cannot be created gives a LedgerError naming it")
    func uncreatableStateDirectoryThrows() async throws {
        let directory = try TemporaryDirectory(label: "ledger")
        let file = directory.appending("state")
        try Data("not a directory".utf8).write(to: file)
        let error = try await #require(throws: LedgerError.self) {
            try await Ledger.open(stateDirectory: file.path + "/nested")
        }
        #expect(error.code == .cannotOpen)
        #expect(error.message.contains(file.path))
    }

    @Test("A write the database refuses surfaces as a LedgerError naming the file")
    func refusedWriteThrows() async throws {
        let fixture = try await LedgerFixture()
        let error = await #expect(throws: LedgerError.self) {
            try await fixture.ledger.beginTask(
                in: AttemptID(999), phase: "Sync", wave: 0, object: deployment("web"), hook: false, action: .created)
        }
        #expect(error?.code == .writeFailed)
        #expect(error?.message.contains(fixture.ledgerPath) == true)
    }
}
