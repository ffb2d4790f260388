import Delivery
import ArgumentParser
import Foundation
import GitSource
import KubeModel
import Ledger
import Logging
import SyncEngine

/// `sluice sync`: one sync of the target revision, then exit.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Sync the target revision once (PreSync, Sync, prune, health, PostSync; SyncFail on failure), record it, and exit.",
        discussion: """
            A manual sync runs the whole lifecycle, hooks included, even when nothing changed, and applies every \
            object, so objects that drifted from the revision are put back. With --every-commit, commits that \
            do not touch --path are recorded as Unchanged.
            Exit codes: 0 succeeded or nothing to do; 1 the sync ran and failed, or the revision's signature was refused (--verify); 2 usage or configuration error; \
            3 the source could not be fetched or resolved, or --path does not exist at the revision; 4 the cluster could not be reached.
            """)

    @OptionGroup var source: SourceOptions
    @OptionGroup var target: TargetOptions
    @OptionGroup var flags: SyncFlags
    @OptionGroup var progress: ProgressOptions
    @OptionGroup var verify: VerifyOptions

    @Option(help: ArgumentHelp("Sync this commit instead of the ref spec's head.", valueName: "sha"))
    var revision: String?

    @Flag(help: "Replay each first-parent commit since the last applied one, in order; a failure stops there.")
    var everyCommit = false

    @Option(help: "Output format: text or json.")
    var output: OutputFormat = .text

    func run() async throws {
        let (session, head) = try await CommandSession.openFetching(
            revision: revision, source: source, target: target, flags: flags, readOnly: false, runPods: true,
            progress: progress.printer(output: output), verify: verify)
        let exitCode: Int32
        do {
            exitCode = try await syncAll(session.application, ledger: session.ledger, head: head)
        } catch {
            await session.close()
            throw error
        }
        await session.close()
        if exitCode != 0 { throw CLIExit(code: exitCode, message: "") }
    }

    /// Syncs the fetched head (or every commit up to it) and prints each result; returns the exit
    /// code.
    func syncAll(_ application: ApplicationSync, ledger: Ledger, head: FetchedRevision) async throws -> Int32 {
        var revisions = [head]
        if everyCommit {
            do {
                revisions = try await application.replayRevisions(to: head)
            } catch let error as SyncEngineError {
                throw error  // the inventory could not be read: reported as for any sync
            } catch {
                throw sourceExit(error)
            }
        }
        var details: [JSONValue] = []
        for fetched in revisions {
            let result: SyncResult
            do {
                // A replay skips the commits that do not touch the path; a single manual sync runs the
                // whole lifecycle, hooks included, as SYNC-SEMANTICS.md says of manual syncs.
                result = try await application.sync(fetched, trigger: .manual, skipUnchanged: everyCommit ? true : nil)
            } catch let error as LedgerError {
                throw CLIExit(code: 1, message: "the sync could not be recorded: \(error.message)")
            } catch let error as SyncEngineError {
                throw CLIExit(code: error.code == .cluster ? 4 : 1, message: error.message)
            } catch {
                throw sourceExit(error)
            }
            let detail = try await ledger.detail(of: try await ledger.attempt(result.attempt))
            details.append(detail.json)
            if output == .text { Self.printText(detail, app: application.runner.configuration.app) }
            if result.outcome == .failed {
                if output == .json { LedgerOutput.printJSON(details.count == 1 ? details[0] : .array(details)) }
                // A path missing from the revision is the source's fault, as the contract's exit 3 says.
                return result.error?.code == .pathNotFound ? 3 : 1
            }
        }
        if output == .json { LedgerOutput.printJSON(details.count == 1 ? details[0] : .array(details)) }
        return 0
    }

    static func printText(_ detail: AttemptDetail, app: String) {
        let attempt = detail.attempt
        var lines = ["\(app) \(attempt.revision.prefix(12)) (\(attempt.ref)): \(attempt.outcome.rawValue)"]
        if !attempt.outcomeMessage.isEmpty { lines.append("  \(attempt.outcomeMessage)") }
        for task in detail.tasks {
            let name = LedgerOutput.objectName(task.object)
            let hook = task.hook ? " (hook)" : ""
            let message = task.message.isEmpty ? "" : ": \(LedgerOutput.summary(task.message, limit: 120))"
            lines.append("  \(task.phase)/\(task.wave) \(task.object.kind) \(name)\(hook) \(task.action.rawValue) \(task.status.rawValue)\(message)")
        }
        let changes = detail.changes
        lines.append(
            "  changes: \(changes.created.count) created, \(changes.configured.count) configured, "
                + "\(changes.unchanged.count) unchanged, \(changes.pruned.count) pruned")
        print(lines.joined(separator: "\n"))
    }
}
