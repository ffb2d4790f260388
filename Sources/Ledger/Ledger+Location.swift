import Foundation
import Logging

/// Which ledger a process uses: `--ledger` (or the configuration file's `ledger:`).
///
/// - absent, or `sqlite:` alone: `ledger.sqlite` in the state directory (the default);
/// - `sqlite:PATH`: that SQLite file;
/// - `postgres://USER@HOST[:PORT]/DATABASE[?sslmode=MODE&sslrootcert=FILE]`: a PostgreSQL
///   database several agents share; the password comes from a file or the environment.
public enum LedgerLocation: Sendable {
    case sqlite(path: String)
    case postgres(PostgresLedgerSettings)

    /// Reads `url` (`nil`: the state directory's SQLite file); `password` is the PostgreSQL password.
    public init(_ url: String?, stateDirectory: String, password: String? = nil) throws {
        guard let url, !url.isEmpty else {
            self = .sqlite(path: (stateDirectory as NSString).appendingPathComponent(Ledger.fileName))
            return
        }
        if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count))
            self = .sqlite(path: path.isEmpty ? (stateDirectory as NSString).appendingPathComponent(Ledger.fileName) : path)
        } else if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            self = .postgres(try PostgresLedgerSettings(url: url, password: password))
        } else {
            throw LedgerError(
                .invalidArgument,
                "the ledger must be sqlite:PATH or postgres://USER@HOST[:PORT]/DATABASE, not \(url.split(separator: ":").first.map { "\($0):…" } ?? "that")")
        }
    }

    /// How messages name it (no password).
    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let settings): return settings.location
        }
    }
}

extension Ledger {
    /// Opens the ledger at `location`, creating and migrating it as needed, and marks `Interrupted`
    /// the attempts left `Running` by processes that are gone (see ``init(path:now:logLimit:logger:markInterrupted:)``).
    public static func open(
        _ location: LedgerLocation, stateDirectory: String, now: @escaping @Sendable () -> Date = { Date() },
        logLimit: Int = Ledger.defaultLogLimit, logger: Logger = Logger(label: "sluice.ledger"), markInterrupted: Bool = true
    ) async throws -> Ledger {
        switch location {
        case .sqlite(let path):
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                do {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                } catch {
                    throw LedgerError(.cannotOpen, "cannot create the directory \(directory) for the ledger \(path): \(error.localizedDescription)")
                }
            }
            return try await Ledger(path: path, now: now, logLimit: logLimit, logger: logger, markInterrupted: markInterrupted)
        case .postgres(let settings):
            let database = try postgres(settings, logger: logger)
            return try await Ledger(
                database: database, stateDirectory: stateDirectory, now: now, logLimit: logLimit, logger: logger,
                markInterrupted: markInterrupted)
        }
    }

    /// Opens the ledger at `location` for reading (see ``openForReading(stateDirectory:logger:)``).
    public static func openForReading(
        _ location: LedgerLocation, stateDirectory: String, logger: Logger = Logger(label: "sluice.ledger")
    ) async throws -> Ledger {
        switch location {
        case .sqlite(let path):
            return try await openForReading(path: path, stateDirectory: stateDirectory, logger: logger)
        case .postgres(let settings):
            let database = try postgres(settings, logger: logger)
            try await checkSchema(database)
            return Ledger(openedDatabase: database, stateDirectory: stateDirectory, logger: logger)
        }
    }

    /// A connection pool to the PostgreSQL ledger, or `cannotOpen` naming it.
    static func postgres(_ settings: PostgresLedgerSettings, logger: Logger) throws -> PostgresLedgerDatabase {
        do {
            return try PostgresLedgerDatabase(settings: settings, logger: logger)
        } catch let error as LedgerError {
            throw LedgerError(.cannotOpen, "cannot open the ledger \(settings.location): \(error.message)")
        }
    }
}
