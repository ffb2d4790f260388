import KubeModel
import ArgumentParser
import Foundation
import Ledger

/// `sluice show`: one revision's full record in the ledger.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print one sync attempt of a revision in full: its tasks, change set and hook logs.",
        discussion: """
            Shows the latest attempt of the revision unless --attempt N is given. Reads STATE/ledger.sqlite \
            without changing it, so it is safe while an agent runs.
            Exit codes: 0 printed; 2 usage error, no ledger in the state directory, or no (or more than one) \
            recorded revision matches REV.
            Example: sluice show 3f2a9c1 --app shop --output json
            """
    )

    @Argument(help: ArgumentHelp("The commit id, or a unique prefix of at least 4 hex digits.", valueName: "rev"))
    var revision: String

    @Option(help: "The application, when several synced the revision.")
    var app: String?

    @Option(help: ArgumentHelp("Which attempt of the revision (1 is the first; default: the latest).", valueName: "n"))
    var attempt: Int?

    @Option(help: "State directory: mirrors, the ledger, the embedded cluster's data.")
    var stateDir = ".sluice"

    @OptionGroup var ledgerOptions: LedgerOptions

    @Option(help: "Output format: text or json.")
    var output: OutputFormat = .text

    func validate() throws {
        if let attempt, attempt < 1 { throw ValidationError("--attempt must be at least 1 (got \(attempt))") }
    }

    func run() async throws {
        let detail = try await LedgerOutput.reading(stateDirectory: stateDir, ledger: ledgerOptions) { ledger in
            try await ledger.detail(app: app, revision: revision, number: attempt)
        }
        switch output {
        case .json:
            LedgerOutput.printJSON(detail.json)
        case .text:
            print(Self.text(detail))
        }
    }

    static func text(_ detail: AttemptDetail) -> String {
        ([fields(detail.attempt), tasks(detail.tasks), changes(detail.changes)] + logs(detail.tasks))
            .joined(separator: "\n\n")
    }

    static func fields(_ attempt: Attempt) -> String {
        var rows: [(String, String)] = [
            ("revision", attempt.revision),
            ("app", attempt.app),
            ("attempt", String(attempt.number)),
            ("ref", attempt.ref),
            ("author", attempt.author),
        ]
        if !attempt.signer.isEmpty { rows.append(("signedBy", attempt.signer)) }
        if !attempt.rendering.isEmpty { rows.append(("rendered", attempt.rendering)) }
        rows += [
            ("trigger", attempt.trigger.rawValue),
            ("outcome", attempt.outcome.rawValue),
        ]
        if !attempt.outcomeMessage.isEmpty { rows.append(("reason", attempt.outcomeMessage)) }
        rows.append(("phaseReached", attempt.phaseReached ?? "-"))
        rows.append(("startedAt", LedgerOutput.time(attempt.startedAt)))
        rows.append(("finishedAt", attempt.finishedAt.map { LedgerOutput.time($0) } ?? "- (still running)"))
        if let digest = attempt.manifestDigest { rows.append(("manifests", "sha256:\(digest)")) }
        rows.append(("message", attempt.message.trimmingCharacters(in: .whitespacesAndNewlines)))
        let width = (rows.map(\.0.count).max() ?? 0) + 2
        return rows.map { label, value in
            // Later lines of a value (a commit message's body) line up under its first.
            let lines = value.split(separator: "\n", omittingEmptySubsequences: false)
            let rest = lines.dropFirst().map { $0.isEmpty ? "" : String(repeating: " ", count: width) + $0 }
            return ([(label + ":").padding(toLength: width, withPad: " ", startingAt: 0) + (lines.first ?? "")] + rest)
                .joined(separator: "\n")
        }
        .joined(separator: "\n")
    }

    static func tasks(_ tasks: [TaskRecord]) -> String {
        guard !tasks.isEmpty else { return "Tasks: none recorded." }
        let table = LedgerOutput.table(
            ["PHASE", "WAVE", "KIND", "OBJECT", "HOOK", "ACTION", "STATUS", "MESSAGE"],
            tasks.map { task in
                [
                    task.phase, String(task.wave), task.object.kind, LedgerOutput.objectName(task.object),
                    task.hook ? "hook" : "-", task.action.rawValue, task.status.rawValue,
                    LedgerOutput.summary(task.message, limit: 80),
                ]
            }
        )
        return "Tasks (\(tasks.count), in execution order):\n" + indent(table)
    }

    static func changes(_ changes: ChangeSet) -> String {
        let lists: [(String, [ObjectIdentity])] = [
            ("created", changes.created), ("configured", changes.configured),
            ("unchanged", changes.unchanged), ("pruned", changes.pruned),
        ]
        let body = lists.map { name, keys in
            keys.isEmpty
                ? "\(name): none"
                : "\(name) (\(keys.count)):\n" + indent(keys.map(\.description).joined(separator: "\n"))
        }
        return "Changes:\n" + indent(body.joined(separator: "\n"))
    }

    static func logs(_ tasks: [TaskRecord]) -> [String] {
        tasks.compactMap { task in
            guard let log = task.log else { return nil }
            let what = "\(task.object.kind) \(LedgerOutput.objectName(task.object))"
            let heading = "Log of \(task.phase) \(task.hook ? "hook " : "")\(what) (task \(task.position)):"
            let text = log.trimmingCharacters(in: .newlines)
            return heading + "\n" + indent(text.isEmpty ? "(empty)" : text, by: 4)
        }
    }

    static func indent(_ text: String, by width: Int = 2) -> String {
        let prefix = String(repeating: " ", count: width)
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : prefix + $0 }
            .joined(separator: "\n")
    }
}
