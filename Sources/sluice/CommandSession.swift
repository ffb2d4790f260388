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
        try await open(
            Repository(source: source, progress: progress, verify: verify), source: source, target: target, flags: flags, readOnly: readOnly,
            runPods: runPods, markInterrupted: markInterrupted)
    }

    /// ``open(source:target:flags:readOnly:runPods:markInterrupted:progress:verify:)`` while the
    /// revision (`revision`, else the ref spec's head) is fetched: the mirror needs neither the
    /// cluster nor the ledger. A cluster that cannot be reached is still the error thrown; a fetch
    /// that failed closes the session again and throws ``sourceExit(_:)`` (exit 3).
    static func openFetching(
        revision: String?, source: SourceOptions, target: TargetOptions, flags: SyncFlags, readOnly: Bool, runPods: Bool,
        progress: ProgressPrinter?, verify: VerifyOptions?
    ) async throws -> (CommandSession, FetchedRevision) {
        let repository = try Repository(source: source, progress: progress, verify: verify)
        let (mirror, spec) = (repository.mirror, repository.spec)
        async let fetching = ApplicationSync.fetch(mirror, spec: spec, revision: revision)
        let session = try await open(repository, source: source, target: target, flags: flags, readOnly: readOnly, runPods: runPods)
        do {
            return (session, try await fetching)
        } catch {
            await session.close()
            throw sourceExit(error)
        }
    }

    /// The repository a session reads, set up from the command line without any I/O.
    private struct Repository {
        var spec: RefSpec
        var verification: SignatureVerification?
        var app: String
        var mirror: GitMirror
        /// Prints the fetch and, once the session is open, the sync.
        var progress: ProgressPrinter?

        init(source: SourceOptions, progress: ProgressPrinter?, verify: VerifyOptions?) throws {
            self.progress = progress
            let url = try source.repositoryURL()
            spec = try source.refSpec()
            verification = try verify?.verification(for: spec)
            app = source.appName(url)
            mirror = GitMirror(url: url, credentials: try source.credentials(), stateDirectory: source.stateDir, options: try source.gitOptions(progress: progress))
        }
    }

    /// ``open(source:target:flags:readOnly:runPods:markInterrupted:progress:verify:)`` for a
    /// repository already set up.
    private static func open(
        _ repository: Repository, source: SourceOptions, target: TargetOptions, flags: SyncFlags, readOnly: Bool, runPods: Bool,
        markInterrupted: Bool = true
    ) async throws -> CommandSession {
        let (spec, verification, app, mirror, progress) = (repository.spec, repository.verification, repository.app, repository.mirror, repository.progress)
        let location = try source.ledgerLocation()
        // The cluster is reached (a TLS handshake and a request, or an embedded LocalCluster
        // started) while the ledger opens; a cluster that cannot be reached is still the error
        // reported first, and whatever did open is closed again.
        async let connecting = target.connect(stateDirectory: source.stateDir, runPods: runPods)
        let opened: Result<Ledger, any Error>
        do {
            let existing = readOnly ? try? await Ledger.openForReading(location, stateDirectory: source.stateDir) : nil
            if let existing {
                opened = .success(existing)
            } else {
                opened = .success(try await Ledger.open(location, stateDirectory: source.stateDir, markInterrupted: markInterrupted))
            }
        } catch {
            opened = .failure(error)
        }
        let cluster: ConnectedCluster
        do {
            cluster = try await connecting
        } catch {
            if case .success(let ledger) = opened { try? await ledger.close() }
            throw error
        }
        let ledger: Ledger
        switch opened {
        case .success(let opened):
            ledger = opened
        case .failure(let error as LedgerError):
            await cluster.stop()
            throw CLIExit.usage(error.message)
        case .failure(let error):
            await cluster.stop()
            throw error
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
