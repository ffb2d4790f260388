import Agent
import ArgumentParser
import Foundation
import GitSource
import Manifests
import SyncEngine

/// The sync-behaviour flags of DESIGN.md.
struct SyncFlags: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: "Prune objects the inventory lists that the revision no longer has.")
    var prune = true

    @Flag(help: "Re-apply unchanged objects too, and run the hooks even when nothing changed.")
    var full = false

    @Flag(help: "Let a revision prune every object the application owns.")
    var allowEmpty = false

    @Option(help: ArgumentHelp("Limit for the whole sync, e.g. 10m (default: none).", valueName: "duration"))
    var timeout: String?

    @Option(help: ArgumentHelp("Limit for each hook without its own sluice.dev/hook-timeout (default: none).", valueName: "duration"))
    var hookTimeout: String?

    @Option(help: ArgumentHelp("How long objects may take to become healthy.", valueName: "duration"))
    var healthTimeout = "5m"

    @Flag(help: "Create the application's namespace (--namespace) before anything else, as Argo CD's CreateNamespace=true; it is never pruned.")
    var createNamespace = false

    @Option(
        name: .customLong("namespace-label"),
        help: ArgumentHelp("With --create-namespace: a label the namespace gets (repeatable).", valueName: "key=value"))
    var namespaceLabels: [String] = []

    @Option(
        name: .customLong("namespace-annotation"),
        help: ArgumentHelp("With --create-namespace: an annotation the namespace gets (repeatable).", valueName: "key=value"))
    var namespaceAnnotations: [String] = []

    /// Rejects a bad duration or metadata pair while parsing, before any cluster is connected or started.
    func validate() throws {
        for (flag, text) in [("--timeout", timeout), ("--hook-timeout", hookTimeout), ("--health-timeout", healthTimeout)] {
            if let text, parseDuration(text) == nil {
                throw ValidationError("\(flag): '\(text)' is not a duration (e.g. 30s, 5m, 1h)")
            }
        }
        if !createNamespace, !(namespaceLabels.isEmpty && namespaceAnnotations.isEmpty) {
            throw ValidationError("--namespace-label and --namespace-annotation need --create-namespace")
        }
        _ = try Self.pairs(namespaceLabels, flag: "--namespace-label")
        _ = try Self.pairs(namespaceAnnotations, flag: "--namespace-annotation")
    }

    /// The engine's configuration for `app`, whose objects that name no namespace go to `namespace`.
    func configuration(app: String, inventoryNamespace: String, namespace: String) throws -> SyncConfiguration {
        func duration(_ flag: String, _ text: String?) throws -> Duration? {
            guard let text else { return nil }
            guard let value = parseDuration(text) else { throw CLIExit.usage("\(flag): '\(text)' is not a duration (e.g. 30s, 5m, 1h)") }
            return value
        }
        var configuration = SyncConfiguration(
            app: app, inventoryNamespace: inventoryNamespace, prune: prune, full: full, allowEmpty: allowEmpty,
            timeout: try duration("--timeout", timeout), hookTimeout: try duration("--hook-timeout", hookTimeout),
            healthTimeout: try duration("--health-timeout", healthTimeout) ?? .seconds(300))
        if createNamespace {
            configuration.createNamespace = ManagedNamespace(
                name: namespace, labels: try Self.pairs(namespaceLabels, flag: "--namespace-label"),
                annotations: try Self.pairs(namespaceAnnotations, flag: "--namespace-annotation"))
        }
        return configuration
    }

    /// `KEY=VALUE` arguments as a mapping; a later key wins.
    static func pairs(_ arguments: [String], flag: String) throws -> [String: String] {
        var pairs: [String: String] = [:]
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw ValidationError("\(flag): '\(argument)' is not KEY=VALUE")
            }
            pairs[String(argument[..<equals])] = String(argument[argument.index(after: equals)...])
        }
        return pairs
    }
}

extension SourceOptions {
    /// `--app`, or a name derived from the repository and path: `guestbook`, `apps-helm-guestbook`.
    func appName(_ url: RepositoryURL) -> String {
        if let app, !app.isEmpty { return app }
        return AgentConfigFile.derivedName(url, path: path)
    }

    /// How manifests are loaded, with the target's default namespace.
    func loadOptions(defaultNamespace: String) -> LoadOptions {
        var options = LoadOptions()
        options.defaultNamespace = defaultNamespace
        options.helm = helm.settings
        return options
    }
}

/// Maps a failure while fetching to the contract's exit codes (2 usage, 3 source).
func sourceExit(_ error: any Error) -> CLIExit {
    if let error = error as? GitSourceError {
        return error.code == .invalidInput ? CLIExit.usage(error.message) : CLIExit.source(error.message)
    }
    if let error = error as? CLIExit { return error }
    return CLIExit.source("\(error)")
}
