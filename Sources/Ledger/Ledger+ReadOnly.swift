import KubeModel
import Foundation
import GRDB
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
    ) throws -> Ledger {
        let path = (stateDirectory as NSString).appendingPathComponent(fileName)
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
        var configuration = Configuration()
        configuration.readonly = true
        // The agent may hold the write lock for a moment (a checkpoint): wait for it, don't fail.
        configuration.busyMode = .timeout(5)
        configuration.label = "sluice.ledger.read"
        let migrator = LedgerSchema.migrator
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            let (superseded, complete) = try queue.read { db in
                (try migrator.hasBeenSuperseded(db), try migrator.hasCompletedMigrations(db))
            }
            if superseded {
                throw LedgerError(
                    .cannotOpen,
                    "the ledger \(path) was written by a newer version of Sluice; upgrade Sluice to read it"
                )
            }
            if !complete {
                throw LedgerError(
                    .cannotOpen,
                    "the ledger \(path) has no up-to-date Sluice schema: it was written by an older Sluice "
                        + "(run a sync with this version to upgrade it) or is still being created (try again)"
                )
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(
                .cannotOpen,
                "cannot read the ledger \(path): \(Ledger.describe(error)); check that the file is a Sluice ledger "
                    + "and readable"
            )
        }
        return Ledger(path: path, openedQueue: queue, logger: logger)
    }
}
