import ArgumentParser
import Curl
import Foundation
import GitSource
import Logging

/// The `sluice` command line. Exit codes are part of the public contract (DESIGN.md):
/// 0 success, 1 sync failed, 2 usage or configuration error, 3 source unavailable, 4 cluster unreachable.
@main
enum Main {
    /// The commands that read a Git repository.
    static let gitCommands: Set<String> = ["sync", "plan", "diff", "resolve", "rollback"]
    /// The commands that speak HTTP (to a cluster, or to a Git server through the HTTP transport).
    static let curlCommands = gitCommands.union(["agent", "version"])

    static func main() async {
        // libcurl and libgit2 are opened on first use (CDynamicLibrary, Docs/architecture.md): the
        // commands that need them start opening them on threads of their own while the command line
        // is parsed; the others (the ledger's commands, `local-cluster`) never map them.
        if let name = CommandLine.arguments.dropFirst().first {
            if curlCommands.contains(name) { CurlLibrary.openInBackground() }
            if gitCommands.contains(name) { GitLibrary.prepareInBackground() }
        }
        do {
            var command = try Sluice.parseAsRoot()
            // The agent sets up its own log; a one-shot command shows its progress through
            // ProgressPrinter and logs only what needs a person's notice (a sync waiting its turn).
            if !(command is AgentCommand) {
                LoggingSystem.bootstrap { label in
                    var handler = StreamLogHandler.standardError(label: label)
                    handler.logLevel = .notice
                    return handler
                }
            }
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as CLIExit {
            if !exit.message.isEmpty { FileHandle.standardError.write(Data(("sluice: " + exit.message + "\n").utf8)) }
            Foundation.exit(exit.code)
        } catch {
            let code = Sluice.exitCode(for: error)
            let message = Sluice.fullMessage(for: error)
            if code == .success {
                print(message)
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(2)
        }
    }
}

/// The root command.
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A GitOps agent: delivers every new commit of a Git repository to Kubernetes, with PreSync, Sync, PostSync and SyncFail hooks, and a per-commit ledger.",
        version: SluiceVersion.current,
        subcommands: [AgentCommand.self, SyncCommand.self, PlanCommand.self, DiffCommand.self, ResolveCommand.self, LocalClusterCommand.self, VersionCommand.self, HistoryCommand.self, ShowCommand.self, StatusCommand.self, SuspendCommand.self, ResumeCommand.self, RollbackCommand.self]
    )
}

/// An error that ends the command with a given exit code and a message on stderr.
struct CLIExit: Error {
    var code: Int32
    var message: String

    static func usage(_ message: String) -> CLIExit { CLIExit(code: 2, message: message) }
    static func source(_ message: String) -> CLIExit { CLIExit(code: 3, message: message) }
}
