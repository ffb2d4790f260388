import ArgumentParser
import Foundation
import GitSource
import Ledger

/// `sluice resolve`: which commit the ref spec points at now.
struct ResolveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Print which commit the ref spec points at now (fetching it into the mirror).",
        discussion: """
        Exit codes: 0 resolved; 2 usage error; 3 the source could not be fetched or resolved.
        Example: sluice resolve --repo https://github.com/argoproj/argocd-example-apps --semver '^1.2'
        """
    )

    @OptionGroup var source: SourceOptions

    @Option(help: "Output format: text or json.")
    var output: OutputFormat = .text

    struct Result: Encodable {
        var repo: String
        var spec: String
        var ref: String
        var revision: String
        var author: String
        var committedAt: String
        var message: String
    }

    func run() async throws {
        let url = try source.repositoryURL()
        let spec = try source.refSpec()
        let mirror = GitMirror(url: url, credentials: try source.credentials(), stateDirectory: source.stateDir,
                               options: try source.gitOptions())
        let result: Result
        do {
            let resolved = try await mirror.update(spec)
            let commit = try await mirror.commit(resolved.revision)
            result = Result(repo: url.description, spec: spec.description, ref: resolved.ref, revision: resolved.revision,
                            author: "\(commit.author.name) <\(commit.author.email)>", committedAt: RFC3339.string(from: commit.committer.time),
                            message: commit.message.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch let error as GitSourceError {
            throw error.code == .invalidInput ? CLIExit.usage(error.message) : CLIExit.source(error.message)
        }
        switch output {
        case .json:
            try printJSON(result)
        case .text:
            print("""
            repo:        \(result.repo)
            spec:        \(result.spec)
            ref:         \(result.ref)
            revision:    \(result.revision)
            author:      \(result.author)
            committedAt: \(result.committedAt)
            message:     \(result.message.split(separator: "\n").first.map(String.init) ?? "")
            """)
        }
    }
}
