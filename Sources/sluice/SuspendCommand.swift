import ArgumentParser
import Foundation
import Ledger

/// What `sluice suspend` and `sluice resume` take.
struct SuspendOptions: ParsableArguments {
    @Option(help: "The application.")
    var app: String

    @Option(help: "Why, for the ledger and `sluice status`.")
    var reason = ""

    @Option(help: "State directory: mirrors, the ledger, the embedded cluster's data.")
    var stateDir = ".sluice"

    @OptionGroup var ledgerOptions: LedgerOptions

    /// Suspends or resumes the application in the state directory's ledger.
    func set(_ suspended: Bool) async throws {
        guard !app.isEmpty else { throw CLIExit.usage("--app must name an application") }
        do {
            // An application the ledger does not know is a typo far more often than a plan: refuse it,
            // listing the ones it knows. (A reader first: a wrong --state-dir must not create a ledger.)
            let location = try ledgerOptions.location(stateDirectory: stateDir)
            let reader = try await Ledger.openForReading(location, stateDirectory: stateDir)
            let known = try await reader.knownApps()
            try await reader.close()
            guard known.contains(app) else {
                throw CLIExit.usage(
                    "no application \(app) in \(stateDir); "
                        + (known.isEmpty ? "no application has run with it yet" : "known: \(known.sorted().joined(separator: ", "))"))
            }
            // Never mark a running agent's attempt Interrupted: this only changes a setting.
            let ledger = try await Ledger.open(location, stateDirectory: stateDir, markInterrupted: false)
            try await ledger.setSuspended(suspended, app: app, reason: reason)
            try await ledger.close()
        } catch let error as LedgerError {
            throw CLIExit.usage(error.message)
        }
    }
}

/// `sluice suspend` and `sluice resume`: pause or resume one application, with the reason in the ledger.
struct SuspendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suspend",
        abstract: "Suspend an application: the agent checks nothing and syncs nothing for it until it is resumed.",
        discussion: "Works whether or not an agent runs with the state directory; a running agent sees it at its next tick.")

    @OptionGroup var options: SuspendOptions

    func run() async throws {
        try await options.set(true)
        print("\(options.app) suspended" + (options.reason.isEmpty ? "" : ": \(options.reason)"))
    }
}

/// `sluice resume`.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume a suspended application: the agent checks and syncs it again from its next tick.")

    @OptionGroup var options: SuspendOptions

    func run() async throws {
        try await options.set(false)
        print("\(options.app) resumed")
    }
}
