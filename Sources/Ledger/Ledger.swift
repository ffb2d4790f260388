import KubeModel
import Foundation
import GRDB
import Logging

/// Sluice's per-commit audit history: every sync attempt, its tasks, hook logs, change set, and the
/// rendered manifests of each revision, in SQLite (`STATE/ledger.sqlite`, WAL mode).
///
/// The actor owns the one connection to the file. Every write goes through it and a failed write is
/// thrown as a ``LedgerError`` naming the file, so a sync fails loudly rather than running unrecorded.
/// The database work itself runs on GRDB's own dispatch queue, off the cooperative thread pool.
///
/// Nothing here stores request headers or credentials; log text is stored as given, so callers
/// redact it first.
public actor Ledger {
    /// The ledger's file name inside the state directory.
    public static let fileName = "ledger.sqlite"

    /// The default cap on one task's stored log: the end is kept and the cut noted.
    public static let defaultLogLimit = 256 * 1024

    /// The path of the ledger file.
    public nonisolated let path: String
    /// The state directory the ledger file is in.
    public nonisolated var stateDirectory: String { (path as NSString).deletingLastPathComponent }

    /// How many attempts were found `Running` when the ledger was opened and marked `Interrupted`.
    public nonisolated let interruptedAtOpen: Int

    /// The most bytes of log text kept per task.
    public nonisolated let logLimit: Int

    let database: DatabaseQueue
    /// Set by ``close()``: every later call throws instead of reaching the closed connection.
    var isClosed = false
    /// Attempts whose sync stopped because the ledger could not be written, with why: ended at the
    /// next write that succeeds (``abandon(_:reason:)``).
    var abandoned: [AttemptID: String] = [:]
    let now: @Sendable () -> Date
    let logger: Logger

    /// Opens (creating if needed) `ledger.sqlite` in `stateDirectory`, creating the directory too.
    ///
    /// See ``init(path:now:logLimit:logger:)`` for what opening does.
    public static func open(
        stateDirectory: String,
        now: @escaping @Sendable () -> Date = { Date() },
        logLimit: Int = Ledger.defaultLogLimit,
        logger: Logger = Logger(label: "sluice.ledger"),
        markInterrupted: Bool = true
    ) throws -> Ledger {
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        } catch {
            throw LedgerError(
                .cannotOpen,
                "cannot create the state directory \(stateDirectory) for the ledger: \(error.localizedDescription)"
            )
        }
        let path = (stateDirectory as NSString).appendingPathComponent(fileName)
        return try Ledger(path: path, now: now, logLimit: logLimit, logger: logger, markInterrupted: markInterrupted)
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
    ) throws {
        var configuration = Configuration()
        configuration.journalMode = .wal
        // `sluice history` may read while the agent writes: wait briefly for the lock, don't fail.
        configuration.busyMode = .timeout(5)
        configuration.label = "sluice.ledger"
        let migrator = LedgerSchema.migrator
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            if try queue.read({ try migrator.hasBeenSuperseded($0) }) {
                throw LedgerError(
                    .cannotOpen,
                    "the ledger \(path) was written by a newer version of Sluice; upgrade Sluice or use another state directory"
                )
            }
            try migrator.migrate(queue)
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(
                .cannotOpen,
                "cannot open the ledger \(path): \(Ledger.describe(error)); "
                    + "check that the state directory is writable and the file is a Sluice ledger"
            )
        }
        let stamp = Ledger.milliseconds(now())
        let interrupted: Int
        do {
            // A command that only changes an application's settings (`sluice suspend`) beside a running
            // agent must not touch the agent's running attempt.
            interrupted = markInterrupted ? try Ledger.markInterrupted(queue, stateDirectory: (path as NSString).deletingLastPathComponent, at: stamp) : 0
        } catch {
            throw LedgerError(
                .writeFailed,
                "cannot mark interrupted attempts in the ledger \(path): \(Ledger.describe(error))"
            )
        }
        if interrupted > 0 {
            logger.warning(
                "found attempts still running from a previous agent; marked them Interrupted",
                metadata: ["count": "\(interrupted)", "ledger": "\(path)"]
            )
        }
        self.path = path
        self.database = queue
        self.now = now
        self.logLimit = max(0, logLimit)
        self.logger = logger
        self.interruptedAtOpen = interrupted
    }

    /// Wraps a connection the caller has already opened and checked, without migrating it or
    /// marking anything `Interrupted` (see ``openForReading(stateDirectory:logger:)``).
    init(path: String, openedQueue: DatabaseQueue, logger: Logger) {
        self.path = path
        self.database = openedQueue
        self.now = { Date() }
        self.logLimit = Ledger.defaultLogLimit
        self.logger = logger
        self.interruptedAtOpen = 0
    }

    /// Closes the connection; later calls throw. Safe to call more than once.
    public func close() throws {
        isClosed = true
        do {
            try database.close()
        } catch {
            throw LedgerError(.writeFailed, "cannot close the ledger \(path): \(Ledger.describe(error))")
        }
    }

    /// The identifiers of the schema migrations applied to the file (`v1`, ...), in order.
    public func appliedMigrations() async throws -> [String] {
        let migrator = LedgerSchema.migrator
        return try await reading("read the schema version") { db in
            let applied = try migrator.appliedIdentifiers(db)
            return migrator.migrations.filter { applied.contains($0) }
        }
    }

    /// Counts of what the ledger holds, for metrics and tests.
    public func statistics() async throws -> LedgerStatistics {
        try await reading("count the records") { db in
            LedgerStatistics(
                attempts: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM attempt") ?? 0,
                tasks: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM task") ?? 0,
                manifestBlobs: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM blob") ?? 0,
                manifestBytesStored: try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM blob") ?? 0
            )
        }
    }

    /// Runs `body` in a write transaction, translating failures into a ``LedgerError`` naming the file.
    func writing<T: Sendable>(
        _ what: String,
        _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        // GRDB must not be used after close (it would touch a freed connection).
        guard !isClosed else { throw LedgerError(.writeFailed, "cannot \(what) in the ledger \(path): the ledger is closed") }
        do {
            // A record must land even when the sync that writes it is being cancelled (a timeout, a
            // newer commit): GRDB gives up on a cancelled task's access, so write from a task of its own.
            let database = database
            let result = try await Task { try await database.write(body) }.value
            if !abandoned.isEmpty { await endAbandoned() }
            return result
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.writeFailed, "cannot \(what) in the ledger \(path): \(Ledger.describe(error))")
        }
    }

    /// Runs `body` in a read transaction, translating failures into a ``LedgerError`` naming the file.
    func reading<T: Sendable>(
        _ what: String,
        _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        guard !isClosed else { throw LedgerError(.readFailed, "cannot \(what) from the ledger \(path): the ledger is closed") }
        do {
            return try await database.read(body)
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.readFailed, "cannot \(what) from the ledger \(path): \(Ledger.describe(error))")
        }
    }

    /// Marks `Interrupted` the attempts still `Running` whose process is gone: those of applications
    /// whose sync lock (``StateLock/syncPath(stateDirectory:app:)``) nobody holds. The locks are held
    /// while marking, so a sync starting meanwhile is never marked.
    static func markInterrupted(_ queue: DatabaseQueue, stateDirectory: String, at stamp: Int64) throws -> Int {
        let apps = try queue.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT app FROM attempt WHERE outcome = ?", arguments: [Outcome.running.rawValue])
        }
        // The applications whose lock this process could take: nobody else is syncing them.
        var held: [(app: String, lock: StateLock)] = []
        defer { held.forEach { $0.lock.release() } }
        for app in apps {
            if let lock = try StateLock.tryLock(
                StateLock.syncPath(stateDirectory: stateDirectory, app: app), holder: "pid \(getpid()): marking interrupted attempts")
            {
                held.append((app, lock))
            }
        }
        let dead = held.map(\.app)
        guard !dead.isEmpty else { return 0 }
        return try queue.write { db in
            var count = 0
            for app in dead {
                try db.execute(
                    sql: """
                        UPDATE task SET status = ?, finishedAt = ?, message = ?
                        WHERE status = ? AND attemptId IN (SELECT id FROM attempt WHERE outcome = ? AND app = ?)
                        """,
                    arguments: [
                        TaskStatus.failed.rawValue, stamp, "interrupted: the agent stopped before this task finished",
                        TaskStatus.running.rawValue, Outcome.running.rawValue, app,
                    ]
                )
                try db.execute(
                    sql: "UPDATE attempt SET outcome = ?, finishedAt = ?, outcomeMessage = ? WHERE outcome = ? AND app = ?",
                    arguments: [
                        Outcome.interrupted.rawValue, stamp, "the agent stopped during this sync",
                        Outcome.running.rawValue, app,
                    ]
                )
                count += db.changesCount
            }
            return count
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            let detail = error.message ?? "\(error.resultCode)"
            return "SQLite error \(error.extendedResultCode.rawValue): \(detail)"
        }
        return "\(error)"
    }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
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
                        try db.execute(
                            sql: "UPDATE task SET status = ?, finishedAt = ?, message = ? WHERE status = ? AND attemptId = ?",
                            arguments: [TaskStatus.failed.rawValue, stamp, "stopped: the ledger could not be written", TaskStatus.running.rawValue, attempt.rawValue])
                        try db.execute(
                            sql: "UPDATE attempt SET outcome = ?, finishedAt = ?, outcomeMessage = ? WHERE id = ? AND outcome = ?",
                            arguments: [Outcome.failed.rawValue, stamp, reason, attempt.rawValue, Outcome.running.rawValue])
                    }
                }
            }.value
            for attempt in pending.keys { abandoned[attempt] = nil }
            logger.notice("ended attempts whose sync stopped when the ledger could not be written", metadata: ["count": "\(pending.count)"])
        } catch {
            logger.warning("the ledger still cannot be written; abandoned attempts are ended later", metadata: ["error": "\(Ledger.describe(error))"])
        }
    }
}
