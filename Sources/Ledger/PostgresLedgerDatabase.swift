import Crypto
import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

/// The shared ledger: a PostgreSQL database that every replica of the agent (and the command
/// line, with `--ledger URL`) reads and writes, through PostgresNIO's connection pool.
///
/// A sync lock is a session advisory lock held on a connection of its own for the sync's
/// duration; PostgreSQL releases it when the holder's connection ends (its process died), which is
/// how a new leader tells an attempt left `Running` by a dead replica from one still running.
final class PostgresLedgerDatabase: LedgerDatabase {
    let settings: PostgresLedgerSettings
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger

    var location: String { settings.location }
    var dialect: LedgerDialect { .postgres }

    init(settings: PostgresLedgerSettings, logger: Logger) throws {
        self.settings = settings
        self.logger = logger
        var configuration = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: settings.password,
            database: settings.database, tls: try settings.tls())
        configuration.options.connectTimeout = min(settings.deadline, .seconds(10))
        // Transactions are short; each running sync also holds one connection for its lock.
        configuration.options.maximumConnections = 16
        configuration.options.connectionIdleTimeout = .seconds(30)
        // The pool logs every failed connection attempt at info: only its warnings and errors are
        // kept (the ledger's own errors say when the database cannot be reached).
        var background = logger
        background.logLevel = max(logger.logLevel, .warning)
        let client = PostgresClient(configuration: configuration, backgroundLogger: background)
        self.client = client
        self.runner = Task { await client.run() }
    }


    func write<T: Sendable>(_ body: @escaping @Sendable (any LedgerStatements) async throws -> T) async throws -> T {
        let logger = logger
        let client = client
        return try await bounded {
            do {
                return try await client.withTransaction(logger: logger) { connection in
                    try await body(Statements(connection: connection, logger: logger))
                }
            } catch let error as PostgresTransactionError {
                // The ledger's own errors (not found, ambiguous) pass through as they were thrown.
                throw error.closureError ?? error.beginError ?? error.commitError ?? error
            }
        }
    }

    /// Reads run on one connection without a transaction of their own (each statement sees what is
    /// committed when it starts): one round trip per statement instead of three.
    func read<T: Sendable>(_ body: @escaping @Sendable (any LedgerStatements) async throws -> T) async throws -> T {
        let logger = logger
        let client = client
        return try await bounded {
            try await client.withConnection { connection in
                try await body(Statements(connection: connection, logger: logger))
            }
        }
    }

    /// Runs `work` for at most the deadline: the pool waits for a connection as long as the server
    /// is down, and a ledger that cannot be written must stop the sync, not hang it.
    private func bounded<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let deadline = settings.deadline
        let location = location
        return try await withThrowingTaskGroup(of: Outcome<T>.self) { group in
            group.addTask { .done(try await work()) }
            group.addTask {
                try await Task.sleep(for: deadline)
                return .timedOut
            }
            defer { group.cancelAll() }
            guard case .done(let result)? = try await group.next() else {
                throw LedgerError(.writeFailed, "the ledger \(location) did not answer within \(deadline) (connect_timeout)")
            }
            return result
        }
    }

    private enum Outcome<T: Sendable>: Sendable {
        case done(T)
        case timedOut
    }

    func lockSync(app: String, holder: String, waiting: @escaping @Sendable (String) -> Void) async throws -> any LedgerLock {
        guard let lock = try await hold(app: app, wait: true, waiting: waiting) else {
            throw LedgerError(.writeFailed, "cannot take the sync lock of \(app) in the ledger \(location)")
        }
        return lock
    }

    func tryLockSync(app: String, holder: String) async throws -> (any LedgerLock)? {
        try await hold(app: app, wait: false, waiting: { _ in })
    }

    /// Takes the advisory lock of `app` on a connection kept for it until the lock is released.
    /// Reaching the server is bounded by the deadline (a database that is down fails the sync);
    /// waiting for another holder is not.
    private func hold(app: String, wait: Bool, waiting: @escaping @Sendable (String) -> Void) async throws -> AdvisoryLock? {
        let key = Self.lockKey(app: app)
        let (events, continuation) = AsyncStream<LockEvent>.makeStream()
        let (released, release) = AsyncStream<Void>.makeStream()
        let client = client
        let logger = logger
        let holding = Task {
            do {
                try await client.withConnection { connection in
                    var got = try await Self.boolean(connection.query("SELECT pg_try_advisory_lock(\(key))", logger: logger))
                    if !got && wait {
                        continuation.yield(.waiting)
                        waiting("another agent or command (the PostgreSQL advisory lock of \(app))")
                        _ = try await connection.query("SELECT pg_advisory_lock(\(key))", logger: logger)
                        got = true
                    }
                    continuation.yield(got ? .acquired : .busy)
                    guard got else { return }
                    for await _ in released {}
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(key))", logger: logger)
                }
            } catch {
                continuation.yield(.failed(error))
            }
            continuation.finish()
        }
        let deadline = settings.deadline
        let timer = Task {
            try await Task.sleep(for: deadline)
            continuation.yield(.timedOut)
        }
        defer { timer.cancel() }
        var reached = false
        for await event in events {
            switch event {
            case .waiting:
                reached = true
                timer.cancel()
            case .acquired:
                return AdvisoryLock(release: release, holding: holding, deadline: deadline)
            case .busy:
                return nil
            case .failed(let error):
                throw error
            case .timedOut where !reached:
                holding.cancel()
                release.finish()
                throw LedgerError(.writeFailed, "the ledger \(location) did not answer within \(deadline) (connect_timeout)")
            case .timedOut:
                continue
            }
        }
        throw LedgerError(.writeFailed, "cannot take the sync lock of \(app) in the ledger \(location)")
    }

    private enum LockEvent: Sendable {
        case waiting, acquired, busy, timedOut
        case failed(any Error)
    }

    /// The advisory lock key of an application's syncs: the first 8 bytes of SHA-256("sluice-sync:" + app).
    static func lockKey(app: String) -> Int64 {
        let digest = Array(SHA256.hash(data: Data("sluice-sync:\(app)".utf8)))
        return digest.prefix(8).reduce(Int64(0)) { ($0 << 8) | Int64($1) }
    }

    private static func boolean(_ rows: PostgresRowSequence) async throws -> Bool {
        for try await row in rows {
            for cell in row { return try cell.decode(Bool.self) }
        }
        return false
    }

    func describe(_ error: any Error) -> String {
        if let error = error as? PostgresTransactionError, let inner = error.closureError ?? error.beginError ?? error.commitError {
            return describe(inner)
        }
        guard let error = error as? PSQLError else { return "\(error)" }
        var text = "PostgreSQL \(error.code)"
        if let message = error.serverInfo?[.message] { text += ": \(message)" }
        if let underlying = error.underlying { text += ": \(underlying)" }
        return text
    }

    func close() async throws {
        runner.cancel()
        await runner.value
    }

    private struct AdvisoryLock: LedgerLock {
        let release: AsyncStream<Void>.Continuation
        let holding: Task<Void, Never>
        let deadline: Duration

        /// Unlocks and gives the connection back; when the server is gone (the unlock cannot be
        /// sent), waits no longer than the deadline: the server released the lock with the
        /// connection.
        func release() async {
            release.finish()
            let holding = holding
            let deadline = deadline
            // Whichever comes first: the unlock done, or the deadline (then the holder is left
            // to end on its own; a query on a dead connection may not notice cancellation).
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumed = Mutex(false)
                let resume: @Sendable () -> Void = {
                    if resumed.withLock({ done in defer { done = true }; return !done }) { continuation.resume() }
                }
                Task {
                    await holding.value
                    resume()
                }
                Task {
                    try? await Task.sleep(for: deadline)
                    holding.cancel()
                    resume()
                }
            }
        }
    }

    private struct Statements: LedgerStatements {
        let connection: PostgresConnection
        let logger: Logger

        func execute(_ sql: String, _ arguments: [any LedgerBindable]) async throws {
            let rows = try await connection.query(try Self.query(sql, arguments), logger: logger)
            for try await _ in rows {}
        }

        func rows(_ sql: String, _ arguments: [any LedgerBindable]) async throws -> [LedgerRow] {
            var result: [LedgerRow] = []
            for try await row in try await connection.query(try Self.query(sql, arguments), logger: logger) {
                var names: [String] = []
                var values: [LedgerValue] = []
                for cell in row {
                    names.append(cell.columnName)
                    values.append(try Self.value(cell))
                }
                result.append(LedgerRow(names: names, values: values))
            }
            return result
        }

        /// The statement with `$1`, `$2`, … for its `?`s (outside quoted text), and its bindings.
        static func query(_ sql: String, _ arguments: [any LedgerBindable]) throws -> PostgresQuery {
            var text = ""
            var number = 0
            var quoted = false
            for character in sql {
                if character == "'" { quoted.toggle() }
                if character == "?" && !quoted {
                    number += 1
                    text += "$\(number)"
                } else {
                    text.append(character)
                }
            }
            guard number == arguments.count else {
                throw LedgerError(.invalidArgument, "a ledger statement has \(number) placeholders and \(arguments.count) arguments")
            }
            var bindings = PostgresBindings(capacity: arguments.count)
            for argument in arguments {
                switch argument.ledgerValue {
                case .integer(let number): bindings.append(number)
                case .text(let string): bindings.append(string)
                case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
                case .null: bindings.appendNull()
                }
            }
            return PostgresQuery(unsafeSQL: text, binds: bindings)
        }

        static func value(_ cell: PostgresCell) throws -> LedgerValue {
            guard cell.bytes != nil else { return .null }
            switch cell.dataType {
            case .int2: return .integer(Int64(try cell.decode(Int16.self)))
            case .int4: return .integer(Int64(try cell.decode(Int32.self)))
            case .int8: return .integer(try cell.decode(Int64.self))
            case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
            case .bytea:
                var buffer = try cell.decode(ByteBuffer.self)
                return .blob(buffer.readBytes(length: buffer.readableBytes) ?? [])
            default: return .text(try cell.decode(String.self))
            }
        }
    }
}

/// Where a PostgreSQL ledger is and how to reach it, from `postgres://USER@HOST:PORT/DATABASE?sslmode=…`
/// and a password given apart (a file or the environment; one in the URL is accepted too).
public struct PostgresLedgerSettings: Sendable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// libpq's `sslmode`: `disable`, `prefer` (the default), `require`, `verify-ca`, `verify-full`.
    public var sslMode: String
    /// `sslrootcert`: the CA file for `verify-ca` and `verify-full` (else the system's).
    public var rootCertificate: String?
    /// `connect_timeout` (seconds, default 30): how long one ledger transaction may wait for the
    /// server before it fails (and the sync with it).
    public var deadline: Duration = .seconds(30)

    /// The URL as messages show it: no password.
    public var location: String {
        "postgres://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)"
    }

    static let sslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

    /// Reads a `postgres://` or `postgresql://` URL; `password` (from a file or the environment)
    /// overrides one in the URL.
    public init(url text: String, password: String? = nil) throws {
        guard let components = URLComponents(string: text), components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw LedgerError(.invalidArgument, "the ledger URL must be postgres://USER@HOST[:PORT]/DATABASE[?sslmode=MODE]")
        }
        guard let host = components.host, !host.isEmpty else {
            throw LedgerError(.invalidArgument, "the ledger URL names no host (postgres://USER@HOST[:PORT]/DATABASE)")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = components.user?.removingPercentEncoding ?? "postgres"
        self.password = password ?? components.password?.removingPercentEncoding
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? self.user : path
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        self.sslMode = query["sslmode"] ?? "prefer"
        guard Self.sslModes.contains(sslMode) else {
            throw LedgerError(
                .invalidArgument, "the ledger URL's sslmode \(sslMode) is not one of \(Self.sslModes.joined(separator: ", "))")
        }
        self.rootCertificate = query["sslrootcert"]
        if let timeout = query["connect_timeout"] {
            guard let seconds = Int(timeout), seconds > 0 else {
                throw LedgerError(.invalidArgument, "the ledger URL's connect_timeout must be a positive number of seconds, not \(timeout)")
            }
            self.deadline = .seconds(seconds)
        }
        let unknown = Set(query.keys).subtracting(["sslmode", "sslrootcert", "connect_timeout"])
        guard unknown.isEmpty else {
            throw LedgerError(.invalidArgument, "the ledger URL has parameters Sluice does not read: \(unknown.sorted().joined(separator: ", "))")
        }
    }

    /// The TLS mode as libpq's `sslmode` means it.
    func tls() throws -> PostgresClient.Configuration.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case "disable":
            return .disable
        case "allow", "prefer", "require":
            configuration.certificateVerification = .none
            return sslMode == "require" ? .require(configuration) : .prefer(configuration)
        default:
            configuration.certificateVerification = sslMode == "verify-ca" ? .noHostnameVerification : .fullVerification
            if let rootCertificate {
                do {
                    configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(rootCertificate))
                } catch {
                    throw LedgerError(.invalidArgument, "cannot read the ledger's sslrootcert \(rootCertificate): \(error)")
                }
            }
            return .require(configuration)
        }
    }
}
