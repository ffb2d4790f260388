import KubeModel
import Foundation
import Logging

extension Ledger {
    /// Opens `ledger.sqlite` in `stateDirectory` for reading only: what `sluice history` and
    /// `sluice show` use, since an agent may be syncing with the same state directory right now.
    ///
    /// Unlike ``open(stateDirectory:now:logLimit:logger:)`` this creates nothing, applies no
    /// migration and marks no attempt `Interrupted`: an attempt read as `Running` may really be
    /// running in another process. Reads see the last committed state (WAL mode lets them run
    /// beside the agent's writes); every write throws ``LedgerError`` `writeFailed`.
    ///
    /// - Throws: ``LedgerError`` `cannotOpen` naming the file when the state directory has no
    ///   ledger yet, the file is not a Sluice ledger, or its schema is newer or older than this
    ///   Sluice reads.
    public static func openForReading(
        stateDirectory: String,
        logger: Logger = Logger(label: "sluice.ledger")
    ) async throws -> Ledger {
        try await openForReading(path: (stateDirectory as NSString).appendingPathComponent(fileName), stateDirectory: stateDirectory, logger: logger)
    }

    /// Opens the SQLite ledger at `path` for reading only.
    static func openForReading(path: String, stateDirectory: String, logger: Logger) async throws -> Ledger {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LedgerError(
                .cannotOpen,
                "no ledger at \(path): nothing has been synced with this state directory yet "
                    + "(pass --state-dir to read another one)"
            )
        }
        guard !isDirectory.boolValue else {
            throw LedgerError(.cannotOpen, "the ledger \(path) is a directory, not a Sluice ledger file")
        }
        let database: SQLiteLedgerDatabase
        do {
            database = try SQLiteLedgerDatabase(path: path, readOnly: true)
        } catch {
            throw LedgerError(
                .cannotOpen,
                "cannot read the ledger \(path): \(Ledger.describe(error)); check that the file is a Sluice ledger and readable")
        }
        try await checkSchema(database)
        return Ledger(openedDatabase: database, stateDirectory: stateDirectory, logger: logger)
    }

    /// Refuses a ledger whose schema is not this Sluice's (newer, older, or still being created).
    static func checkSchema(_ database: any LedgerDatabase) async throws {
        let location = database.location
        do {
            let (superseded, complete) = try await LedgerMigrator.check(database)
            if superseded {
                throw LedgerError(
                    .cannotOpen,
                    "the ledger \(location) was written by a newer version of Sluice; upgrade Sluice to read it"
                )
            }
            if !complete {
                throw LedgerError(
                    .cannotOpen,
                    "the ledger \(location) has no up-to-date Sluice schema: it was written by an older Sluice "
                        + "(run a sync with this version to upgrade it) or is still being created (try again)"
                )
            }
        } catch let error as LedgerError {
            try? await database.close()
            throw error
        } catch {
            try? await database.close()
            throw LedgerError(
                .cannotOpen,
                "cannot read the ledger \(location): \(database.describe(error)); check that it is a Sluice ledger "
                    + "and readable"
            )
        }
    }
}
