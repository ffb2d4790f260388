import Foundation

/// Where the ledger's rows live: SQLite in the state directory (``SQLiteLedgerDatabase``) or a
/// PostgreSQL server shared by replicas (``PostgresLedgerDatabase``). The ``Ledger`` actor holds
/// all of the ledger's logic and SQL once; a backend runs statements in transactions.
///
/// The SQL the ledger sends is what both dialects accept: `?` placeholders (a backend rewrites
/// them as it needs), `INSERT … ON CONFLICT … DO UPDATE`, `… RETURNING id`, unquoted identifiers.
protocol LedgerDatabase: Sendable {
    /// How the ledger is named in messages: the SQLite file's path, or the PostgreSQL URL without
    /// its password.
    var location: String { get }

    /// The SQL dialect, for the few statements that differ (the schema's types, locks).
    var dialect: LedgerDialect { get }

    /// Runs `body` in a write transaction: committed when it returns, rolled back when it throws.
    /// Transactions of one database run one at a time.
    func write<T: Sendable>(_ body: @escaping @Sendable (any LedgerStatements) async throws -> T) async throws -> T

    /// Runs `body` in a read transaction (one consistent snapshot).
    func read<T: Sendable>(_ body: @escaping @Sendable (any LedgerStatements) async throws -> T) async throws -> T

    /// Takes the lock that says a sync of `app` is running in a live process, waiting while another
    /// process holds it (`waiting` is told who, once); held until ``LedgerLock/release()``.
    func lockSync(app: String, holder: String, waiting: @escaping @Sendable (String) -> Void) async throws -> any LedgerLock

    /// The sync lock of `app` when nobody holds it, else `nil`: a `Running` attempt of an
    /// application whose lock is free was left by a process that is gone.
    func tryLockSync(app: String, holder: String) async throws -> (any LedgerLock)?

    /// A one-line description of a backend error, without credentials.
    func describe(_ error: any Error) -> String

    /// Closes the connections; later calls throw.
    func close() async throws
}

/// The SQL dialects the ledger speaks.
enum LedgerDialect: Sendable {
    case sqlite
    case postgres
}

/// A held lock; ``release()`` may be called more than once.
protocol LedgerLock: Sendable {
    func release() async
}

/// The statements of one transaction.
protocol LedgerStatements: Sendable {
    /// Runs a statement that returns no rows.
    func execute(_ sql: String, _ arguments: [any LedgerBindable]) async throws
    /// Runs a statement and returns its rows (a `SELECT`, or a write with `RETURNING`).
    func rows(_ sql: String, _ arguments: [any LedgerBindable]) async throws -> [LedgerRow]
}

extension LedgerStatements {
    func execute(_ sql: String) async throws { try await execute(sql, []) }
    func rows(_ sql: String) async throws -> [LedgerRow] { try await rows(sql, []) }

    /// The first row, if any.
    func row(_ sql: String, _ arguments: [any LedgerBindable] = []) async throws -> LedgerRow? {
        try await rows(sql, arguments).first
    }

    /// The first column of the first row, decoded; `nil` when there is no row or it is NULL.
    func scalar<T: LedgerColumnDecodable>(_ sql: String, _ arguments: [any LedgerBindable] = [], as type: T.Type = T.self) async throws -> T? {
        guard let row = try await row(sql, arguments), let value = row.values.first else { return nil }
        if case .null = value { return nil }
        return try T.decode(value, column: row.names.first ?? "")
    }

    /// ``scalar(_:_:as:)`` with the type first.
    func scalar<T: LedgerColumnDecodable>(as type: T.Type, _ sql: String, _ arguments: [any LedgerBindable] = []) async throws -> T? {
        try await scalar(sql, arguments, as: type)
    }
}

/// A value bound to a statement or read from a row.
public enum LedgerValue: Sendable, Hashable {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    case null
}

/// What can be bound to a statement's `?`.
protocol LedgerBindable: Sendable {
    var ledgerValue: LedgerValue { get }
}

extension LedgerValue: LedgerBindable {
    var ledgerValue: LedgerValue { self }
}

extension String: LedgerBindable {
    var ledgerValue: LedgerValue { .text(self) }
}

extension Int: LedgerBindable {
    var ledgerValue: LedgerValue { .integer(Int64(self)) }
}

extension Int64: LedgerBindable {
    var ledgerValue: LedgerValue { .integer(self) }
}

extension Bool: LedgerBindable {
    var ledgerValue: LedgerValue { .integer(self ? 1 : 0) }
}

extension Array: LedgerBindable where Element == UInt8 {
    var ledgerValue: LedgerValue { .blob(self) }
}

extension Optional: LedgerBindable where Wrapped: LedgerBindable {
    var ledgerValue: LedgerValue { self?.ledgerValue ?? .null }
}

/// One result row: its columns by name (case-insensitive: PostgreSQL folds unquoted names to
/// lower case).
struct LedgerRow: Sendable {
    let names: [String]
    let values: [LedgerValue]
    private let index: [String: Int]

    init(names: [String], values: [LedgerValue]) {
        self.names = names
        self.values = values
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name.lowercased()] == nil { index[name.lowercased()] = position }
        self.index = index
    }

    /// The column `name`, decoded; a missing column or a value of another type is a `corrupt` error.
    subscript<T: LedgerColumnDecodable>(_ name: String) -> T {
        get throws {
            guard let position = index[name.lowercased()] else {
                throw LedgerError(.corrupt, "the ledger's row has no column \(name)")
            }
            return try T.decode(values[position], column: name)
        }
    }
}

/// What a column can be read as.
protocol LedgerColumnDecodable {
    static func decode(_ value: LedgerValue, column: String) throws -> Self
}

extension LedgerColumnDecodable {
    static func mismatch(_ value: LedgerValue, _ column: String) -> LedgerError {
        LedgerError(.corrupt, "the ledger's column \(column) holds \(value), not a \(Self.self)")
    }
}

extension String: LedgerColumnDecodable {
    static func decode(_ value: LedgerValue, column: String) throws -> String {
        switch value {
        case .text(let text): return text
        case .blob(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .integer(let number): return String(number)
        case .null: throw mismatch(value, column)
        }
    }
}

extension Int64: LedgerColumnDecodable {
    static func decode(_ value: LedgerValue, column: String) throws -> Int64 {
        switch value {
        case .integer(let number): return number
        case .text(let text):
            // PostgreSQL's SUM and NUMERIC arrive as text.
            guard let number = Int64(text) ?? Double(text).flatMap({ Int64(exactly: $0.rounded()) }) else { throw mismatch(value, column) }
            return number
        default: throw mismatch(value, column)
        }
    }
}

extension Int: LedgerColumnDecodable {
    static func decode(_ value: LedgerValue, column: String) throws -> Int {
        Int(try Int64.decode(value, column: column))
    }
}

extension Bool: LedgerColumnDecodable {
    static func decode(_ value: LedgerValue, column: String) throws -> Bool {
        try Int64.decode(value, column: column) != 0
    }
}

extension Array: LedgerColumnDecodable where Element == UInt8 {
    static func decode(_ value: LedgerValue, column: String) throws -> [UInt8] {
        switch value {
        case .blob(let bytes): return bytes
        case .text(let text): return Array(text.utf8)
        default: throw mismatch(value, column)
        }
    }
}

extension Optional: LedgerColumnDecodable where Wrapped: LedgerColumnDecodable {
    static func decode(_ value: LedgerValue, column: String) throws -> Wrapped? {
        if case .null = value { return nil }
        return try Wrapped.decode(value, column: column)
    }
}

/// Runs one body at a time, in order of arrival (a transaction gate).
actor LedgerGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if busy {
            await withCheckedContinuation { waiters.append($0) }
        } else {
            busy = true
        }
        defer {
            if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
        }
        return try await body()
    }
}
