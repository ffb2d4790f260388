import Delivery
import Foundation
import GitSource
import Ledger
import SyncEngine

/// What `sync` and `plan` set up alike: the mirror, the cluster, the ledger, and the application's
/// syncer. ``close()`` releases the ledger and stops an embedded cluster.
struct CommandSession {
    var cluster: ConnectedCluster
    var ledger: Ledger
    var application: ApplicationSync

    /// Connects and opens everything; `readOnly` opens an existing ledger for reading only (a plan
    /// must not touch an agent's running attempt). `progress` prints the fetch and the sync as
    /// they go; `verify` says which signatures must be trusted before a revision is applied.
    static func open(
        source: SourceOptions, target: TargetOptions, flags: SyncFlags, readOnly: Bool, runPods: Bool, markInterrupted: Bool = true,
        progress: ProgressPrinter? = nil, verify: VerifyOptions? = nil
    ) async throws -> CommandSession {
        let url = try source.repositoryURL()
        let spec = try source.refSpec()
        let verification = try verify?.verification(for: spec)
        let app = source.appName(url)
        let mirror = GitMirror(url: url, credentials: try source.credentials(), stateDirectory: source.stateDir, options: try source.gitOptions(progress: progress))
        let location = try source.ledgerLocation()
        let cluster = try await target.connect(stateDirectory: source.stateDir, runPods: runPods)
        let ledger: Ledger
        do {
            let existing = readOnly ? try? await Ledger.openForReading(location, stateDirectory: source.stateDir) : nil
            if let existing {
                ledger = existing
            } else {
                ledger = try await Ledger.open(location, stateDirectory: source.stateDir, markInterrupted: markInterrupted)
            }
        } catch let error as LedgerError {
            await cluster.stop()
            throw CLIExit.usage(error.message)
        }
        let runner = SyncRunner(
            client: cluster.client, recorder: ledger,
            configuration: try flags.configuration(
                app: app, inventoryNamespace: cluster.inventoryNamespace, namespace: cluster.client.defaultNamespace),
            progress: progress?.syncProgress)
        let application = ApplicationSync(
            source: ApplicationSource(
                mirror: mirror, spec: spec, path: source.path, loadOptions: source.loadOptions(defaultNamespace: cluster.client.defaultNamespace),
                verification: verification),
            runner: runner, ledger: ledger)
        return CommandSession(cluster: cluster, ledger: ledger, application: application)
    }

    func close() async {
        try? await ledger.close()
        await cluster.stop()
    }
}
