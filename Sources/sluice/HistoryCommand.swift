import ArgumentParser
import Foundation
import Ledger

/// `sluice history`: the ledger's sync attempts, newest first.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Print the ledger's sync attempts, newest first.",
        discussion: """
            Reads STATE/ledger.sqlite without changing it, so it is safe while an agent runs: an attempt \
            shown as Running may be syncing right now. `sluice show REV` prints one attempt in full.
            Exit codes: 0 printed (also when there is nothing to print); 2 usage error, or no ledger in \
            the state directory.
            Example: sluice history --app shop --limit 10
            """
    )

    @Option(help: "Only this application's attempts (default: every application's).")
    var app: String?

    @Option(help: "The most attempts to print.")
    var limit = 50

    @Option(help: "State directory: mirrors, the ledger, the embedded cluster's data.")
    var stateDir = ".sluice"

    @OptionGroup var ledgerOptions: LedgerOptions

    @Option(help: "Output format: text or json.")
    var output: OutputFormat = .text

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1 (got \(limit))") }
    }

    func run() async throws {
        let (attempts, apps, path) = try await LedgerOutput.reading(stateDirectory: stateDir, ledger: ledgerOptions) { ledger in
            let attempts = try await ledger.history(app: app, limit: limit)
            // Only needed to make an empty answer useful.
            let apps = attempts.isEmpty ? try await ledger.apps() : []
            return (attempts, apps, ledger.path)
        }
        switch output {
        case .json:
            LedgerOutput.printJSON(Attempt.historyJSON(attempts))
        case .text:
            guard !attempts.isEmpty else {
                print(Self.emptyLine(app: app, apps: apps, path: path))
                return
            }
            print(Self.table(attempts))
        }
    }

    static func table(_ attempts: [Attempt]) -> String {
        LedgerOutput.table(
            ["REVISION", "APP", "ATTEMPT", "TRIGGER", "OUTCOME", "PHASE", "STARTED", "MESSAGE"],
            attempts.map { attempt in
                [
                    String(attempt.revision.prefix(12)), attempt.app, String(attempt.number), attempt.trigger.rawValue,
                    attempt.outcome.rawValue, attempt.phaseReached ?? "-", LedgerOutput.time(attempt.startedAt),
                    LedgerOutput.summary(attempt.message),
                ]
            }
        )
    }

    static func emptyLine(app: String?, apps: [String], path: String) -> String {
        guard let app else { return "No sync attempts recorded in \(path) yet." }
        let known = apps.isEmpty ? "none" : apps.joined(separator: ", ")
        return "No sync attempts of \(app) recorded in \(path) (applications with attempts: \(known))."
    }
}
