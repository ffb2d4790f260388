import Foundation
import Ledger
import Testing
import TestSupport

@Suite("Opening the ledger read-only, as sluice history and show do")
struct ReadOnlyLedgerTests {
    @Test("A read-only ledger reads while an agent holds the file open, and leaves its Running attempt Running")
    func readsBesideAWriter() async throws {
        let fixture = try await LedgerFixture()
        let finished = try await fixture.begin(revision("a1"))
        try await fixture.ledger.finishAttempt(finished, outcome: .succeeded)
        fixture.clock.advance(by: 60)
        let running = try await fixture.begin(revision("b2"))
        try await fixture.ledger.enterPhase("PreSync", of: running)
        let hook = try await fixture.ledger.beginTask(
            in: running, phase: "PreSync", wave: 0, object: migrateJob, hook: true, action: .created)
        try await fixture.ledger.appendLog("migrating\n", to: hook)

        let reader = try await Ledger.openForReading(stateDirectory: fixture.directory.path + "/state")
        #expect(reader.path == fixture.ledgerPath)
        #expect(reader.interruptedAtOpen == 0)
        let history = try await reader.history(limit: 10)
        #expect(history.map(\.revision) == [revision("b2"), revision("a1")])
        #expect(history.map(\.outcome) == [.running, .succeeded])
        let detail = try await reader.detail(app: "shop", revision: revision("b2"))
        #expect(detail.attempt.phaseReached == "PreSync")
        #expect(detail.tasks.map(\.status) == [.running])
        #expect(detail.tasks.first?.log == "migrating\n")

        // The agent's view is untouched and it can go on writing while the reader is open.
        #expect(try await fixture.ledger.attempt(running).outcome == .running)
        try await fixture.ledger.updateTask(hook, status: .succeeded)
        try await fixture.ledger.finishAttempt(running, outcome: .succeeded)
        #expect(try await reader.attempt(running).outcome == .succeeded)
        try await reader.close()
        try await fixture.ledger.close()
    }

    @Test("Opening for reading after the agent stopped mid-sync still shows the attempt as Running")
    func closedWriterLeavesRunning() async throws {
        let fixture = try await LedgerFixture()
        let running = try await fixture.begin(revision("c3"))
        try await fixture.ledger.close()

        let reader = try await Ledger.openForReading(stateDirectory: fixture.directory.path + "/state")
        #expect(try await reader.attempt(running).outcome == .running)
        try await reader.close()
        // Only a read-write open (the next agent) marks it Interrupted.
        #expect(try await fixture.reopen().interruptedAtOpen == 1)
    }

    @Test("A state directory without a ledger gives a LedgerError naming the path, and nothing is created")
    func missingLedger() async throws {
        let directory = try TemporaryDirectory(label: "ledger")
        let state = directory.path + "/state"
        let error = try await #require(throws: LedgerError.self) { try await Ledger.openForReading(stateDirectory: state) }
        #expect(error.code == .cannotOpen)
        #expect(error.message.contains(state + "/" + Ledger.fileName))
        #expect(error.message.contains("nothing has been synced"))
        #expect(!FileManager.default.fileExists(atPath: state))
    }

    @Test("Writes through a read-only ledger fail with a LedgerError and change nothing")
    func writesFail() async throws {
        let fixture = try await LedgerFixture()
        let running = try await fixture.begin(revision("d4"))
        let reader = try await Ledger.openForReading(stateDirectory: fixture.directory.path + "/state")

        let beginError = await #expect(throws: LedgerError.self) {
            try await reader.beginAttempt(
                app: "blog", revision: revision("f6"), ref: "refs/heads/main", author: "Ada", message: "m",
                trigger: .manual)
        }
        #expect(beginError?.code == .writeFailed)
        #expect(beginError?.message.contains(fixture.ledgerPath) == true)
        let finishError = await #expect(throws: LedgerError.self) {
            try await reader.finishAttempt(running, outcome: .failed, message: "nope")
        }
        #expect(finishError?.code == .writeFailed)

        try await reader.close()
        #expect(try await fixture.ledger.attempt(running).outcome == .running)
        #expect(try await fixture.ledger.apps() == ["shop"])
    }

    @Test("A ledger written by a newer Sluice cannot be opened for reading")
    func newerSchema() async throws {
        let fixture = try await LedgerFixture()
        _ = try await fixture.begin(revision("a1"))
        try await fixture.ledger.close()
        // Record a migration this Sluice does not know, as a later version would.
        try ProcessRunner.run(
            "python3",
            ["-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                + "c.execute(\"INSERT INTO grdb_migrations (identifier) VALUES ('v99')\"); c.commit(); c.close()",
             fixture.ledgerPath],
            timeout: .seconds(30), check: true)

        let error = try await #require(throws: LedgerError.self) {
            try await Ledger.openForReading(stateDirectory: fixture.directory.path + "/state")
        }
        #expect(error.code == .cannotOpen)
        #expect(error.message.contains(fixture.ledgerPath))
        #expect(error.message.contains("newer version of Sluice"))
    }

    enum NotALedger: String, CaseIterable, CustomTestStringConvertible {
        case empty = "an empty file"
        case garbage = "a file that is not a SQLite database"
        case directory = "a directory"

        var testDescription: String { rawValue }
    }

    @Test("A ledger path holding something else gives a LedgerError naming the file", arguments: NotALedger.allCases)
    func notALedger(_ kind: NotALedger) async throws {
        let directory = try TemporaryDirectory(label: "ledger")
        let path = directory.path + "/" + Ledger.fileName
        switch kind {
        case .empty: try Data().write(to: URL(fileURLWithPath: path))
        case .garbage: try Data(String(repeating: "not a database\n", count: 200).utf8).write(to: URL(fileURLWithPath: path))
        case .directory: try directory.makeSubdirectory(Ledger.fileName)
        }
        let error = try await #require(throws: LedgerError.self) { try await Ledger.openForReading(stateDirectory: directory.path) }
        #expect(error.code == .cannotOpen)
        #expect(error.message.contains(path))
    }
}
