import ArgumentParser
import Foundation
import Ledger

/// `sluice suspend` and `sluice resume`: pause or resume one application, with the reason in the ledger.
struct SuspendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suspend",
        abstract: "Suspend an application: the agent checks nothing and syncs nothing for it until it is resumed.",
        discussion: "Works whether or not an agent runs with the state directory; a running agent sees it at its next tick.")

    @Option(help: "The application.")
    var app: String

    @Option(help: "Why, for the ledger and `sluice status`.")
    var reason = ""

    @Option(help: "State directory: mirrors, the ledger, the embedded cluster's data.")
    var stateDir = ".sluice"

    func run() async throws {
        try await Self.set(true, app: app, reason: reason, stateDirectory: stateDir)
        print("\(app) suspended" + (reason.isEmpty ? "" : ": \(reason)"))
    }

    static func set(_ suspended: Bool, app: String, reason: String, stateDirectory: String) async throws {
        guard !app.isEmpty else { throw CLIExit.usage("--app must name an application") }
        do {
            // Never mark a running agent's attempt Interrupted: this only changes a setting.
            let ledger = try Ledger.open(stateDirectory: stateDirectory, markInterrupted: false)
            let hasAttempts = try await ledger.apps().contains(app)
            let hasRecord = try await ledger.application(app) != nil
            let known = hasAttempts || hasRecord
            try await ledger.setSuspended(suspended, app: app, reason: reason)
            try await ledger.close()
            if !known {
                FileHandle.standardError.write(Data("sluice: note: \(app) has no record in \(stateDirectory) yet; the setting applies once it runs\n".utf8))
            }
        } catch let error as LedgerError {
            throw CLIExit.usage(error.message)
        }
    }
}

/// `sluice resume`.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume a suspended application: the agent checks and syncs it again from its next tick.")

    @Option(help: "The application.")
    var app: String

    @Option(help: "Why, for the ledger and `sluice status`.")
    var reason = ""

    @Option(help: "State directory: mirrors, the ledger, the embedded cluster's data.")
    var stateDir = ".sluice"

    func run() async throws {
        try await SuspendCommand.set(false, app: app, reason: reason, stateDirectory: stateDir)
        print("\(app) resumed")
    }
}
