import Delivery
import ArgumentParser
import Foundation
import GitSource
import KubeModel
import Ledger
import SyncEngine

/// `sluice plan`: what a sync would do; changes nothing.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print what a sync of the target revision would do, in order, using server-side dry runs; changes nothing.",
        discussion: """
            Exit codes: 0 planned; 1 the server rejected an object in the dry run, the revision would prune \
            everything, or its signature is not trusted (--verify); 2 usage or configuration error; 3 the source could not be fetched or resolved; \
            4 the cluster could not be reached.
            """)

    @OptionGroup var source: SourceOptions
    @OptionGroup var target: TargetOptions
    @OptionGroup var flags: SyncFlags
    @OptionGroup var verify: VerifyOptions

    @Option(help: ArgumentHelp("Plan this commit instead of the ref spec's head.", valueName: "sha"))
    var revision: String?

    @Option(help: "Output format: text or json.")
    var output: OutputFormat = .text

    func run() async throws {
        let (session, fetched) = try await CommandSession.openFetching(
            revision: revision, source: source, target: target, flags: flags, readOnly: true, runPods: false,
            progress: ProgressPrinter.fetchOnly(output: output), verify: verify)
        let application = session.application
        let outcome: Result<PlanReport, CLIExit>
        do {
            outcome = .success(try await application.plan(fetched))
        } catch let error as CLIExit {
            outcome = .failure(error)
        } catch let error as SyncEngineError {
            // A refused signature exits 1, as a sync of the revision would fail.
            outcome = .failure(CLIExit(code: error.code == .cluster ? 4 : error.code == .pathNotFound ? 3 : 1, message: error.message))
        } catch {
            outcome = .failure(CLIExit(code: 1, message: "\(error)"))
        }
        await session.close()
        let report = try outcome.get()
        switch output {
        case .json: LedgerOutput.printJSON(Self.json(report))
        case .text: print(Self.text(report))
        }
    }

    static func json(_ report: PlanReport) -> JSONValue {
        [
            "revision": .string(report.revision),
            "baseRevision": report.baseRevision.map(JSONValue.string) ?? .null,
            "changedFiles": .array(report.changedFiles.map(JSONValue.string)),
            "tasks": .array(report.tasks.map { entry in
                [
                    "phase": .string(entry.phase), "wave": .int(Int64(entry.wave)), "group": .string(entry.group),
                    "kind": .string(entry.kind), "namespace": .string(entry.namespace), "name": .string(entry.name),
                    "hook": .bool(entry.hook), "action": .string(entry.action),
                ]
            }),
            "kept": .array(report.kept.map(JSONValue.string)),
            "upToDate": .bool(report.upToDate),
            "incremental": .bool(report.incremental),
        ]
    }

    static func text(_ report: PlanReport) -> String {
        var lines = ["revision \(report.revision) (base: \(report.baseRevision ?? "none, first sync"))"]
        if report.upToDate {
            lines.append("up to date: nothing changed since the last applied revision; the agent would record Unchanged (sluice sync would still run the hooks)")
            return lines.joined(separator: "\n")
        }
        lines.append("changed files: \(report.changedFiles.count)")
        for file in report.changedFiles.prefix(20) { lines.append("  \(file)") }
        if report.changedFiles.count > 20 { lines.append("  … and \(report.changedFiles.count - 20) more") }
        let active = report.tasks.filter { $0.action != "unchanged" }
        lines.append(
            "tasks: \(active.count) to run, \(report.tasks.count - active.count) unchanged"
                + (report.incremental ? " (only the changed files and files with hooks were read)" : ""))
        let rows = active.map { entry in
            [
                "\(entry.phase)/\(entry.wave)", entry.kind, entry.namespace.isEmpty ? entry.name : "\(entry.namespace)/\(entry.name)",
                entry.hook ? "hook" : "", entry.action,
            ]
        }
        if !rows.isEmpty { lines.append(LedgerOutput.table(["PHASE/WAVE", "KIND", "NAME", "HOOK", "ACTION"], rows)) }
        for kept in report.kept { lines.append("kept (not pruned): \(kept)") }
        return lines.joined(separator: "\n")
    }
}

