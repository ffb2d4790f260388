import ArgumentParser
import Foundation
import GitSource
import KubeModel
import Ledger
import SyncEngine

/// `sluice rollback REV`: re-apply a previous revision and quarantine the current head.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Re-apply a previous revision (with its hooks) and quarantine the current head, so the agent does not apply it again.",
        discussion: """
            The manifests come from the Git mirror, or from the ledger's record of the revision when Git \
            cannot be reached (then Secrets are left as they are live: the ledger keeps no Secret values). \
            The agent follows the ref again when a newer commit changes the application's path. Recorded with \
            trigger rollback. With --app and no --repo, the repository, path and namespace come from the ledger. \
            Exit codes: 0 rolled back; 1 the sync failed; 2 usage error or unknown revision; 4 the cluster could not be reached.
            """)

    @Argument(help: "The revision to return to (a commit, or a unique prefix of at least 4 hex digits).")
    var revision: String

    @OptionGroup var source: SourceOptions
    @OptionGroup var target: TargetOptions
    @OptionGroup var flags: SyncFlags
    @OptionGroup var progress: ProgressOptions

    @Option(help: "Output format: text or json.")
    var output: OutputFormat = .text

    func run() async throws {
        let (source, target) = try await Self.fromLedger(source, target)
        // A rollback may run beside an agent: never mark its running attempt Interrupted.
        let session = try await CommandSession.open(source: source, target: target, flags: flags, readOnly: false, runPods: true, markInterrupted: false, progress: progress.printer(output: output))
        let code: Int32
        do {
            code = try await rollback(session)
        } catch {
            await session.close()
            throw error
        }
        await session.close()
        if code != 0 { throw CLIExit(code: code, message: "") }
    }

    /// With `--app` and no `--repo`, the repository, path and default namespace the ledger recorded
    /// for the application (at its last sync, by the agent or the command line).
    static func fromLedger(_ source: SourceOptions, _ target: TargetOptions) async throws -> (SourceOptions, TargetOptions) {
        guard source.repo == nil, let app = source.app else { return (source, target) }
        let record: ApplicationRecord?
        do {
            let ledger = try await Ledger.openForReading(try source.ledgerLocation(), stateDirectory: source.stateDir)
            record = try await ledger.application(app)
            try await ledger.close()
        } catch let error as LedgerError {
            throw CLIExit.usage("--repo is not given and \(error.message)")
        }
        guard let record, !record.repo.isEmpty else {
            throw CLIExit.usage("the ledger in \(source.stateDir) has no source for \(app); give --repo (and --path)")
        }
        var source = source
        var target = target
        source.repo = record.repo
        if source.path.isEmpty { source.path = record.path }
        if target.namespace == nil, !record.namespace.isEmpty { target.namespace = record.namespace }
        return (source, target)
    }

    func rollback(_ session: CommandSession) async throws -> Int32 {
        let application = session.application
        let ledger = session.ledger
        let app = application.runner.configuration.app
        let full: String
        if let commit = try? await application.source.mirror.commit(revision) {
            full = commit.id
        } else {
            do {
                full = try await ledger.resolveRevision(revision, app: app)
            } catch let error as LedgerError {
                throw CLIExit.usage("revision \(revision) of \(app) is neither in the repository mirror nor in the ledger: \(error.message)")
            }
        }
        // The current head, by every account: what is applied, what the agent saw, what was last tried.
        var heads = Set<String>()
        if let applied = try? await application.baseRevision() { heads.insert(applied) }
        if let seen = try await ledger.application(app)?.lastSeenRevision { heads.insert(seen) }
        if let latest = try await ledger.history(app: app, limit: 1).first?.revision { heads.insert(latest) }
        heads.remove(full)

        let result: SyncResult
        do {
            result = try await application.rollback(to: full)
        } catch let error as SyncEngineError {
            throw CLIExit(code: error.code == .cluster ? 4 : 2, message: error.message)
        } catch let error as LedgerError {
            throw CLIExit(code: 1, message: "the rollback could not be recorded: \(error.message)")
        }
        if result.outcome == .succeeded {
            try await ledger.setQuarantined(heads, app: app)
        }
        let detail = try await ledger.detail(of: try await ledger.attempt(result.attempt))
        switch output {
        case .json: LedgerOutput.printJSON(detail.json)
        case .text:
            SyncCommand.printText(detail, app: app)
            if result.outcome == .succeeded, !heads.isEmpty {
                print("  quarantined: \(heads.sorted().map { String($0.prefix(12)) }.joined(separator: ", ")) (the agent resumes following the ref at the next new commit)")
            }
        }
        return result.outcome == .succeeded ? 0 : 1
    }
}
