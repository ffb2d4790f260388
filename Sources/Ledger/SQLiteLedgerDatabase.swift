import Foundation
import GRDB

/// The embedded ledger: one SQLite file in the state directory (WAL mode), through GRDB.
///
/// A transaction is a `BEGIN IMMEDIATE` … `COMMIT` on the one connection, its statements each
/// run on GRDB's queue (off the cooperative thread pool); ``LedgerGate`` keeps transactions from
/// interleaving. Other processes wait up to 5 s for the file's write lock. The sync locks are
/// files beside the ledger (``StateLock``), which the kernel releases when a process dies.
final class SQLiteLedgerDatabase: LedgerDatabase {
    let path: String
    let queue: DatabaseQueue
    private let gate = LedgerGate()

    var location: String { path }
    var dialect: LedgerDialect { .sqlite }
    var stateDirectory: String { (path as NSString).deletingLastPathComponent }

    /// Opens (creating) the file at `path`; `readOnly` opens an existing file for reading only.
    init(path: String, readOnly: Bool) throws {
        var configuration = Configuration()
        if readOnly {
            configuration.readonly = true
        } else {
            configuration.journalMode = .wal
        }
        // `sluice history` may read while the agent writes: wait briefly for the lock, don't fail.
        configuration.busyMode = .timeout(5)
        // A transaction spans several accesses (one per statement); LedgerGate keeps them whole.
        configuration.allowsUnsafeTransactions = true
        configuration.label = readOnly ? "sluice.ledger.read" : "sluice.ledger"
        self.path = path
        self.queue = try DatabaseQueue(path: path, configuration: configuration)
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any LedgerStatements) async throws -> T) async throws -> T {
        try await transaction("BEGIN IMMEDIATE", body)
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any LedgerStatements) async throws -> T) async throws -> T {
        try await transaction("BEGIN DEFERRED", body)
    }

    private func transaction<T: Sendable>(_ begin: String, _ body: @escaping @Sendable (any LedgerStatements) async throws -> T) async throws -> T {
        let queue = queue
        return try await gate.run {
            try await queue.writeWithoutTransaction { try $0.execute(sql: begin) }
            do {
                let result = try await body(Statements(queue: queue))
                try await queue.writeWithoutTransaction { try $0.execute(sql: "COMMIT") }
                return result
            } catch {
                try? await queue.writeWithoutTransaction { db in
                    if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
                }
                throw error
            }
        }
    }

    func lockSync(app: String, holder: String, waiting: @escaping @Sendable (String) -> Void) async throws -> any LedgerLock {
        FileLock(lock: try await StateLock.lock(StateLock.syncPath(stateDirectory: stateDirectory, app: app), holder: holder, waiting: waiting))
    }

    func tryLockSync(app: String, holder: String) async throws -> (any LedgerLock)? {
        try StateLock.tryLock(StateLock.syncPath(stateDirectory: stateDirectory, app: app), holder: holder).map(FileLock.init(lock:))
    }

    func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            let detail = error.message ?? "\(error.resultCode)"
            return "SQLite error \(error.extendedResultCode.rawValue): \(detail)"
        }
        return "\(error)"
    }

    func close() async throws {
        try queue.close()
    }

    private struct FileLock: LedgerLock {
        let lock: StateLock
        func release() async { lock.release() }
    }

    private struct Statements: LedgerStatements {
        let queue: DatabaseQueue

        func execute(_ sql: String, _ arguments: [any LedgerBindable]) async throws {
            let arguments = Self.arguments(arguments)
            try await queue.writeWithoutTransaction { try $0.execute(sql: sql, arguments: arguments) }
        }

        func rows(_ sql: String, _ arguments: [any LedgerBindable]) async throws -> [LedgerRow] {
            let arguments = Self.arguments(arguments)
            return try await queue.writeWithoutTransaction { db in
                try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                    LedgerRow(names: Array(row.columnNames), values: row.databaseValues.map(Self.value))
                }
            }
        }

        static func arguments(_ values: [any LedgerBindable]) -> StatementArguments {
            StatementArguments(values.map { value -> DatabaseValue in
                switch value.ledgerValue {
                case .integer(let number): return number.databaseValue
                case .text(let text): return text.databaseValue
                case .blob(let bytes): return Data(bytes).databaseValue
                case .null: return .null
                }
            })
        }

        static func value(_ value: DatabaseValue) -> LedgerValue {
            switch value.storage {
            case .null: return .null
            case .int64(let number): return .integer(number)
            case .double(let number): return Int64(exactly: number).map(LedgerValue.integer) ?? .text(String(number))
            case .string(let text): return .text(text)
            case .blob(let data): return .blob(Array(data))
            }
        }
    }
}
