import Foundation

/// Applies ``LedgerSchema``'s migrations that a ledger lacks, each once, in order, in one
/// transaction; refuses a ledger written by a newer Sluice (a migration it does not know).
///
/// Processes that open one PostgreSQL ledger together migrate it once: the transaction takes an
/// advisory lock first, so the second waits and then finds nothing left to do. SQLite's
/// `BEGIN IMMEDIATE` does the same for a file.
enum LedgerMigrator {
    /// The advisory lock key of the migrations (PostgreSQL): "sluice-m" as a 64-bit number.
    static let lockKey: Int64 = 0x736C_7569_6365_2D6D

    /// Where the applied migrations are recorded.
    static func table(of database: any LedgerDatabase) -> String {
        switch database.dialect {
        case .sqlite: return "grdb_migrations"
        case .postgres: return "sluice_migrations"
        }
    }

    static func migrate(_ database: any LedgerDatabase) async throws {
        let table = table(of: database)
        let dialect = database.dialect
        let location = database.location
        try await database.write { db in
            if dialect == .postgres {
                _ = try await db.rows("SELECT pg_advisory_xact_lock(?)", [lockKey])
            }
            try await db.execute("CREATE TABLE IF NOT EXISTS \(table) (identifier TEXT NOT NULL PRIMARY KEY)")
            let applied = Set(try await db.rows("SELECT identifier FROM \(table)", []).map { try $0["identifier"] as String })
            let unknown = applied.subtracting(LedgerSchema.identifiers)
            guard unknown.isEmpty else {
                throw LedgerError(
                    .cannotOpen,
                    "the ledger \(location) was written by a newer version of Sluice; upgrade Sluice or use another state directory")
            }
            for migration in LedgerSchema.migrations where !applied.contains(migration.identifier) {
                for statement in migration.statements {
                    try await db.execute(dialect == .postgres ? LedgerSchema.postgres(statement) : statement)
                }
                try await db.execute("INSERT INTO \(table) (identifier) VALUES (?)", [migration.identifier])
            }
        }
    }

    /// Whether the ledger's schema is exactly this Sluice's: `superseded` when a newer Sluice
    /// migrated it, `complete` when every known migration is applied.
    static func check(_ database: any LedgerDatabase) async throws -> (superseded: Bool, complete: Bool) {
        let table = table(of: database)
        return try await database.read { db in
            let exists: Bool
            switch database.dialect {
            case .sqlite:
                exists = try await db.row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table]) != nil
            case .postgres:
                exists = try await db.row("SELECT 1 FROM information_schema.tables WHERE table_name = ?", [table]) != nil
            }
            guard exists else { return (false, false) }
            let applied = Set(try await db.rows("SELECT identifier FROM \(table)", []).map { try $0["identifier"] as String })
            return (!applied.subtracting(LedgerSchema.identifiers).isEmpty, Set(LedgerSchema.identifiers).isSubset(of: applied))
        }
    }
}
