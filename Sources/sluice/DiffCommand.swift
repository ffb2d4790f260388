import Delivery
import ArgumentParser
import Foundation
import GitSource
import KubeModel
import Ledger
import Manifests
import SyncEngine

/// `sluice diff`: the object-level difference between two revisions of the application.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Print the object-level diff of the application between two revisions.",
        discussion: """
            --from defaults to the last revision applied successfully (from the ledger), --to to the ref \
            spec's head. Manifests are read from Git, or from the ledger's record of the revision when the \
            Git server cannot be reached. Exit codes: 0 printed; 2 usage error; 3 a revision could be read \
            neither from Git nor from the ledger.
            """)

    @OptionGroup var source: SourceOptions

    @Option(help: ArgumentHelp("The old revision (a commit or a unique prefix).", valueName: "rev"))
    var from: String?

    @Option(help: ArgumentHelp("The new revision (default: the ref spec's head).", valueName: "rev"))
    var to: String?

    @Option(help: ArgumentHelp("Default namespace for namespaced objects that name none.", valueName: "ns"))
    var namespace = "default"

    @Option(help: "Output format: text or json.")
    var output: OutputFormat = .text

    func run() async throws {
        let url = try source.repositoryURL()
        let app = source.appName(url)
        let mirror = GitMirror(url: url, credentials: try source.credentials(), stateDirectory: source.stateDir, options: try source.gitOptions(progress: ProgressPrinter.fetchOnly(output: output)))
        let ledger = try? await Ledger.openForReading(try source.ledgerLocation(), stateDirectory: source.stateDir)
        defer { if let ledger { Task { try? await ledger.close() } } }
        let application = ApplicationSource(mirror: mirror, spec: try source.refSpec(), path: source.path, loadOptions: source.loadOptions(defaultNamespace: namespace))

        // Fetch once; when Git cannot be reached, everything comes from the ledger.
        var gitError: (any Error)?
        var head: String?
        do {
            head = try await mirror.update(try source.refSpec()).revision
            if let to, to.count < 40 || from.map({ $0.count < 40 }) == true { try? await mirror.fetchAll() }
        } catch {
            gitError = error
        }
        guard let toRevision = try await resolve(to, head: head, mirror: mirror, ledger: ledger, app: app, gitError: gitError) else {
            throw CLIExit.source("cannot read the ref spec's head: \(gitError.map { "\($0)" } ?? "unknown"); pass --to")
        }
        var fromRevision: String?
        if let from {
            fromRevision = try await resolve(from, head: nil, mirror: mirror, ledger: ledger, app: app, gitError: gitError)
        } else {
            fromRevision = try await ledger?.lastSucceeded(app: app)?.revision
            guard fromRevision != nil else {
                throw CLIExit.usage("no --from given and nothing of \(app) has been applied yet in \(source.stateDir)")
            }
        }
        guard let fromRevision else { throw CLIExit.usage("--from is required") }
        let (old, oldSource) = try await manifests(fromRevision, application: application, ledger: ledger, app: app)
        let (new, newSource) = try await manifests(toRevision, application: application, ledger: ledger, app: app)
        let diff = ManifestDiff.between(old, new)
        switch output {
        case .json:
            LedgerOutput.printJSON([
                "from": .string(fromRevision), "to": .string(toRevision),
                "fromSource": .string(oldSource), "toSource": .string(newSource),
                "created": .array(diff.created.map { .string($0.identity.description) }),
                "configured": .array(diff.changed.map { .string($0.identity.description) }),
                "unchanged": .array(diff.unchanged.map { .string($0.identity.description) }),
                "pruned": .array(diff.removed.map { .string($0.identity.description) }),
                "diff": .string(diff.unifiedDiff),
            ])
        case .text:
            print("diff \(fromRevision.prefix(12)) (\(oldSource)) → \(toRevision.prefix(12)) (\(newSource)): "
                + "\(diff.created.count) created, \(diff.changed.count) configured, \(diff.removed.count) pruned, \(diff.unchanged.count) unchanged")
            if !diff.isEmpty { print(diff.unifiedDiff, terminator: diff.unifiedDiff.hasSuffix("\n") ? "" : "\n") }
        }
    }

    /// A full revision id: the head for `nil`, else the commit `text` names in Git or in the ledger.
    func resolve(_ text: String?, head: String?, mirror: GitMirror, ledger: Ledger?, app: String, gitError: (any Error)?) async throws -> String? {
        guard let text else { return head }
        if let info = try? await mirror.commit(text) { return info.id }
        if let ledger, let full = try? await ledger.resolveRevision(text, app: app) { return full }
        throw CLIExit.source("revision \(text) is neither in the repository mirror nor in the ledger of \(app)"
            + (gitError.map { " (Git: \($0))" } ?? ""))
    }

    /// The manifests of `revision`, from Git when the mirror has the commit, else from the ledger.
    func manifests(_ revision: String, application: ApplicationSource, ledger: Ledger?, app: String) async throws -> (ManifestSet, String) {
        if (try? await application.mirror.commit(revision)) != nil {
            do {
                return (try await application.load(at: revision).manifests, "git")
            } catch let error as ManifestError {
                throw CLIExit.usage("the manifests at \(revision) cannot be loaded: \(error.description)")
            }
        }
        guard let ledger, let bytes = try await ledger.manifests(app: app, revision: revision) else {
            throw CLIExit.source("the manifests of \(revision) are neither in the repository mirror nor recorded in the ledger of \(app)")
        }
        do {
            return (try ManifestLoader.load(files: [ManifestFile(path: "ledger.yaml", bytes: bytes)], options: application.loadOptions), "ledger")
        } catch {
            throw CLIExit.usage("the ledger's record of \(revision) cannot be read: \(error.description)")
        }
    }
}
