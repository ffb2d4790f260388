import KubeModel
import Foundation
import Logging

/// Sluice's per-commit audit history: every sync attempt, its tasks, hook logs, change set, and the
/// rendered manifests of each revision, in SQLite (`STATE/ledger.sqlite`, WAL mode) or in a
/// PostgreSQL database that several agents share (``LedgerDatabase``).
///
/// Every write goes through the actor and a failed write is thrown as a ``LedgerError`` naming the
/// ledger, so a sync fails loudly rather than running unrecorded.
///
/// Nothing here stores request headers or credentials; log text is stored as given, so callers
/// redact it first.
public actor Ledger {
    /// The ledger's file name inside the state directory.
    public static let fileName = "ledger.sqlite"

    /// The default cap on one task's stored log: the end is kept and the cut noted.
    public static let defaultLogLimit = 256 * 1024

    /// Where the ledger is: the SQLite file's path, or the PostgreSQL URL without its password.
    public nonisolated let path: String
    /// The state directory of the process that opened the ledger (the SQLite file is in it unless
    /// `--ledger` named another file).
    public nonisolated let stateDirectory: String

    /// How many attempts were found `Running` when the ledger was opened and marked `Interrupted`.
    public nonisolated let interruptedAtOpen: Int

    /// The most bytes of log text kept per task.
    public nonisolated let logLimit: Int

    let database: any LedgerDatabase
    /// Set by ``close()``: every later call throws instead of reaching the closed connection.
    var isClosed = false
    /// Attempts whose sync stopped because the ledger could not be written, with why: ended at the
    /// next write that succeeds (``abandon(_:reason:)``).
    var abandoned: [AttemptID: String] = [:]
    let now: @Sendable () -> Date
    let logger: Logger

    /// Opens (creating if needed) `ledger.sqlite` in `stateDirectory`, creating the directory too.
    ///
    /// See ``init(path:now:logLimit:logger:markInterrupted:)`` for what opening does.
    public static func open(
        stateDirectory: String,
        now: @escaping @Sendable () -> Date = { Date() },
        logLimit: Int = Ledger.defaultLogLimit,
        logger: Logger = Logger(label: "sluice.ledger"),
        markInterrupted: Bool = true
    ) async throws -> Ledger {
        try await open(
            LedgerLocation(nil, stateDirectory: stateDirectory), stateDirectory: stateDirectory, now: now, logLimit: logLimit,
            logger: logger, markInterrupted: markInterrupted)
    }

    /// Opens (creating if needed) the ledger file at `path`, applies pending migrations, and marks
    /// `Interrupted` every attempt still `Running` whose process is gone (an agent stopped mid-sync:
    /// nobody holds its application's sync lock); how many is in ``interruptedAtOpen``.
    ///
    /// - Parameters:
    ///   - now: the clock for every timestamp the ledger writes; tests inject their own.
    ///   - logLimit: the most bytes of log text kept per task.
    /// - Throws: ``LedgerError`` with code `cannotOpen` naming the file when it cannot be opened,
    ///   is not a SQLite database, or was written by a newer Sluice.
    public init(
        path: String,
        now: @escaping @Sendable () -> Date = { Date() },
        logLimit: Int = Ledger.defaultLogLimit,
        logger: Logger = Logger(label: "sluice.ledger"),
        markInterrupted: Bool = true
    ) async throws {
        let database: SQLiteLedgerDatabase
        do {
            database = try SQLiteLedgerDatabase(path: path, readOnly: false)
        } catch {
            throw LedgerError(
                .cannotOpen,
                "cannot open the ledger \(path): \(Ledger.describe(error)); "
                    + "check that the state directory is writable and the file is a Sluice ledger")
        }
        try await self.init(
            database: database, stateDirectory: database.stateDirectory, now: now, logLimit: logLimit, logger: logger,
            markInterrupted: markInterrupted)
    }

    /// Opens a ledger on `database`: migrates it (once, however many processes start together) and,
    /// with `markInterrupted`, marks `Interrupted` the attempts left `Running` by processes that are
    /// gone.
    init(
        database: any LedgerDatabase, stateDirectory: String, now: @escaping @Sendable () -> Date, logLimit: Int, logger: Logger,
        markInterrupted: Bool
    ) async throws {
        let location = database.location
        do {
            try await LedgerMigrator.migrate(database)
        } catch let error as LedgerError {
            try? await database.close()
            throw error
        } catch {
            try? await database.close()
            throw LedgerError(
                .cannotOpen,
                "cannot open the ledger \(location): \(database.describe(error)); "
                    + "check that the state directory is writable and the file is a Sluice ledger"
            )
        }
        let stamp = Ledger.milliseconds(now())
        let interrupted: Int
        do {
            // A command that only changes an application's settings (`sluice suspend`) beside a running
            // agent must not touch the agent's running attempt.
            interrupted = markInterrupted ? try await Ledger.markInterrupted(database, at: stamp) : 0
        } catch {
            try? await database.close()
            throw LedgerError(
                .writeFailed,
                "cannot mark interrupted attempts in the ledger \(location): \(database.describe(error))"
            )
        }
        if interrupted > 0 {
            logger.warning(
                "found attempts still running from a previous agent; marked them Interrupted",
                metadata: ["count": "\(interrupted)", "ledger": "\(location)"]
            )
        }
        self.path = location
        self.stateDirectory = stateDirectory
        self.database = database
        self.now = now
        self.logLimit = max(0, logLimit)
        self.logger = logger
        self.interruptedAtOpen = interrupted
    }

    /// Wraps a database the caller has already opened and checked, without migrating it or
    /// marking anything `Interrupted` (see ``openForReading(stateDirectory:logger:)``).
    init(openedDatabase database: any LedgerDatabase, stateDirectory: String, logger: Logger) {
        self.path = database.location
        self.stateDirectory = stateDirectory
        self.database = database
        self.now = { Date() }
        self.logLimit = Ledger.defaultLogLimit
        self.logger = logger
        self.interruptedAtOpen = 0
    }

    /// Closes the connection; later calls throw. Safe to call more than once.
    public func close() async throws {
        guard !isClosed else { return }
        isClosed = true
        do {
            try await database.close()
        } catch {
            throw LedgerError(.writeFailed, "cannot close the ledger \(path): \(database.describe(error))")
        }
    }

    /// The identifiers of the schema migrations applied to the ledger (`v1`, ...), in order.
    public func appliedMigrations() async throws -> [String] {
        let table = LedgerMigrator.table(of: database)
        return try await reading("read the schema version") { db in
            let applied = Set(try await db.rows("SELECT identifier FROM \(table)", []).map { try $0["identifier"] as String })
            return LedgerSchema.identifiers.filter { applied.contains($0) }
        }
    }

    /// Counts of what the ledger holds, for metrics and tests.
    public func statistics() async throws -> LedgerStatistics {
        try await reading("count the records") { db in
            LedgerStatistics(
                attempts: try await db.scalar("SELECT COUNT(*) FROM attempt") ?? 0,
                tasks: try await db.scalar("SELECT COUNT(*) FROM task") ?? 0,
                manifestBlobs: try await db.scalar("SELECT COUNT(*) FROM blob") ?? 0,
                manifestBytesStored: try await db.scalar("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM blob") ?? 0
            )
        }
    }

    /// Runs `body` in a write transaction, translating failures into a ``LedgerError`` naming the ledger.
    func writing<T: Sendable>(
        _ what: String,
        _ body: @escaping @Sendable (any LedgerStatements) async throws -> T
    ) async throws -> T {
        // The connection must not be used after close.
        guard !isClosed else { throw LedgerError(.writeFailed, "cannot \(what) in the ledger \(path): the ledger is closed") }
        do {
            // A record must land even when the sync that writes it is being cancelled (a timeout, a
            // newer commit): the database gives up on a cancelled task's access, so write from a task of its own.
            let database = database
            let result = try await Task { try await database.write(body) }.value
            if !abandoned.isEmpty { await endAbandoned() }
            return result
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.writeFailed, "cannot \(what) in the ledger \(path): \(database.describe(error))")
        }
    }

    /// Runs `body` in a read transaction, translating failures into a ``LedgerError`` naming the ledger.
    func reading<T: Sendable>(
        _ what: String,
        _ body: @escaping @Sendable (any LedgerStatements) async throws -> T
    ) async throws -> T {
        guard !isClosed else { throw LedgerError(.readFailed, "cannot \(what) from the ledger \(path): the ledger is closed") }
        do {
            let database = database
            return try await Task { try await database.read(body) }.value
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.readFailed, "cannot \(what) from the ledger \(path): \(database.describe(error))")
        }
    }

    /// Takes the sync lock of `app`: one sync of an application at a time over every process
    /// sharing the ledger; it also tells a later start that an attempt left `Running` by this
    /// process is alive. `waiting` is told who holds it while this waits.
    public nonisolated func lockSync(app: String, holder: String, waiting: @escaping @Sendable (String) -> Void) async throws -> SyncLock {
        SyncLock(lock: try await database.lockSync(app: app, holder: holder, waiting: waiting))
    }

    /// Marks `Interrupted` the attempts left `Running` by processes that are gone (as opening the
    /// ledger does): what a replica that just became the leader does before it syncs, since the
    /// leader it replaces may have died in the middle of a sync. Returns how many.
    public func markInterruptedAttempts() async throws -> Int {
        guard !isClosed else { throw LedgerError(.writeFailed, "cannot mark interrupted attempts in the ledger \(path): the ledger is closed") }
        do {
            return try await Ledger.markInterrupted(database, at: Ledger.milliseconds(now()))
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.writeFailed, "cannot mark interrupted attempts in the ledger \(path): \(database.describe(error))")
        }
    }

    /// Marks `Interrupted` the attempts still `Running` whose process is gone: those of applications
    /// whose sync lock nobody holds. The locks are held while marking, so a sync starting meanwhile
    /// is never marked.
    static func markInterrupted(_ database: any LedgerDatabase, at stamp: Int64) async throws -> Int {
        let apps = try await database.read { db in
            try await db.rows("SELECT DISTINCT app FROM attempt WHERE outcome = ?", [Outcome.running.rawValue]).map { try $0["app"] as String }
        }
        // The applications whose lock this process could take: nobody else is syncing them.
        var held: [(app: String, lock: any LedgerLock)] = []
        for app in apps {
            if let lock = try await database.tryLockSync(app: app, holder: "pid \(getpid()): marking interrupted attempts") {
                held.append((app, lock))
            }
        }
        let dead = held.map(\.app)
        do {
            let count = dead.isEmpty ? 0 : try await database.write { db in
                var count = 0
                for app in dead {
                    try await db.execute(
                        """
                        UPDATE task SET status = ?, finishedAt = ?, message = ?
                        WHERE status = ? AND attemptId IN (SELECT id FROM attempt WHERE outcome = ? AND app = ?)
                        """,
                        [
                            TaskStatus.failed.rawValue, stamp, "interrupted: the agent stopped before this task finished",
                            TaskStatus.running.rawValue, Outcome.running.rawValue, app,
                        ]
                    )
                    count += try await db.rows(
                        "UPDATE attempt SET outcome = ?, finishedAt = ?, outcomeMessage = ? WHERE outcome = ? AND app = ? RETURNING id",
                        [Outcome.interrupted.rawValue, stamp, "the agent stopped during this sync", Outcome.running.rawValue, app]
                    ).count
                }
                return count
            }
            for entry in held { await entry.lock.release() }
            return count
        } catch {
            for entry in held { await entry.lock.release() }
            throw error
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? LedgerError { return error.message }
        return "\(error)"
    }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}

/// A held sync lock of one application (``Ledger/lockSync(app:holder:waiting:)``).
public struct SyncLock: Sendable {
    let lock: any LedgerLock

    /// Releases the lock; safe to call more than once.
    public func release() async { await lock.release() }
}

/// Counts of what a ledger holds.
public struct LedgerStatistics: Sendable, Hashable {
    /// Attempts recorded.
    public var attempts: Int
    /// Tasks recorded, over all attempts.
    public var tasks: Int
    /// Distinct manifest blobs (identical rendered manifests are stored once).
    public var manifestBlobs: Int
    /// Compressed bytes of all manifest blobs.
    public var manifestBytesStored: Int
}

/// The ledger is where a sync records itself.
extension Ledger: SyncRecorder {}

extension Ledger {
    /// Ends `attempt` as `Failed` with `reason` now, or, when the ledger cannot be written (a full
    /// disk), at the next write that succeeds: a sync stopped by a failed write is not left
    /// `Running` until the next start.
    public func abandon(_ attempt: AttemptID, reason: String) async {
        abandoned[attempt] = reason
        await endAbandoned()
    }

    /// Ends the abandoned attempts that are still `Running`; keeps them for later when it cannot.
    func endAbandoned() async {
        guard !isClosed, !abandoned.isEmpty else { return }
        let pending = abandoned
        let stamp = Ledger.milliseconds(now())
        let database = database
        do {
            try await Task {
                try await database.write { db in
                    for (attempt, reason) in pending {
                        try await db.execute(
                            "UPDATE task SET status = ?, finishedAt = ?, message = ? WHERE status = ? AND attemptId = ?",
                            [TaskStatus.failed.rawValue, stamp, "stopped: the ledger could not be written", TaskStatus.running.rawValue, attempt.rawValue])
                        try await db.execute(
                            "UPDATE attempt SET outcome = ?, finishedAt = ?, outcomeMessage = ? WHERE id = ? AND outcome = ?",
                            [Outcome.failed.rawValue, stamp, reason, attempt.rawValue, Outcome.running.rawValue])
                    }
                }
            }.value
            for attempt in pending.keys { abandoned[attempt] = nil }
            logger.notice("ended attempts whose sync stopped when the ledger could not be written", metadata: ["count": "\(pending.count)"])
        } catch {
            logger.warning("the ledger still cannot be written; abandoned attempts are ended later", metadata: ["error": "\(database.describe(error))"])
        }
    }
}
