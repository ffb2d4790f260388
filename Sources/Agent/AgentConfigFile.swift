import Foundation
import GitSource
import Manifests
import SyncEngine
import Yams

/// `sluice agent --config FILE`: many applications in one YAML file (Docs/agent.md has a full example).
///
/// ```yaml
/// interval: 1m                      # optional; --interval otherwise
/// apps:
///   - name: shop
///     repo: https://git.example.com/shop/app.git
///     branch: main                  # or tag, semver, commit; default: the remote's default branch
///     path: deploy
///     namespace: shop               # default namespace of objects that name none
///     prune: true
///     everyCommit: false
///     timeout: 10m
///     hookTimeout: 5m
///     healthTimeout: 5m
///     allowEmpty: false
///     createNamespace: {labels: {team: shop}}   # or true; default: --create-namespace
///     credentials: {username: deploy, passwordFile: /etc/sluice/git-password}
///     helm: {valueFiles: [values-production.yaml]}   # for a chart (AgentConfigFile+Helm.swift)
///     verify:                       # optional: apply only revisions signed by a trusted key
///       mode: head                  # head, tag (tag and semver pins) or all-commits
///       keys: {keyring: /etc/sluice/keys/openpgp, allowedSigners: /etc/sluice/keys/allowed_signers}
/// ```
///
/// Every problem is reported with the file and the field (`agent.yaml: apps[1].repo: required`),
/// all of them at once.
public struct AgentConfigFile: Sendable {
    /// The applications, in file order.
    public var applications: [AgentApplication]
    /// `interval`, when the file sets it.
    public var interval: Duration?

    /// Why a configuration file was refused: every problem, each naming the file and field.
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var problems: [String]
        public var description: String { problems.joined(separator: "\n") }
    }

    /// Reads and checks `path`.
    ///
    /// - Parameters:
    ///   - defaults: the sync settings applications start from (the command line's flags).
    ///   - inventoryNamespace: the agent's namespace, where inventories live.
    public static func load(path: String, defaults: SyncConfiguration, inventoryNamespace: String, defaultNamespace: String) throws -> AgentConfigFile {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Invalid(problems: ["\(path): cannot read the file"])
        }
        return try parse(text, file: (path as NSString).lastPathComponent, defaults: defaults, inventoryNamespace: inventoryNamespace, defaultNamespace: defaultNamespace)
    }

    /// Parses configuration text; `file` names it in messages.
    public static func parse(_ text: String, file: String, defaults: SyncConfiguration, inventoryNamespace: String, defaultNamespace: String) throws -> AgentConfigFile {
        var problems: [String] = []
        func problem(_ field: String, _ message: String) { problems.append("\(file): \(field): \(message)") }
        let root: Node
        do {
            // The basic resolver: the default one compiles ICU regular expressions to tag plain
            // scalars, and every field here is read from its text (`flag`, `duration`, `Int(text)`).
            guard let node = try Yams.compose(yaml: text, .basic) else { throw Invalid(problems: ["\(file): the file is empty; it needs an apps list"]) }
            root = node
        } catch let error as Invalid {
            throw error
        } catch {
            throw Invalid(problems: ["\(file): not valid YAML: \(error)"])
        }
        guard let top = root.mapping else { throw Invalid(problems: ["\(file): the top level must be a mapping with an apps list"]) }
        var interval: Duration?
        for (key, value) in top {
            switch key.string {
            case "interval":
                interval = value.string.flatMap(DurationText.parse)
                if interval == nil { problem("interval", "'\(value.string ?? "")' is not a duration (e.g. 30s, 1m)") }
            case "apps": break
            default: problem(key.string ?? "?", "unknown field (known: interval, apps)")
            }
        }
        guard let apps = top["apps"]?.sequence else {
            problem("apps", "required: a list of applications")
            throw Invalid(problems: problems)
        }
        var applications: [AgentApplication] = []
        var names = Set<String>()
        for (index, node) in apps.enumerated() {
            let prefix = "apps[\(index)]"
            guard let entry = node.mapping else {
                problem(prefix, "must be a mapping")
                continue
            }
            var fields: [String: String] = [:]
            var credentials = GitCredentials()
            let known: Set<String> = [
                "name", "repo", "branch", "tag", "semver", "commit", "path", "namespace", "prune", "everyCommit", "timeout",
                "hookTimeout", "healthTimeout", "allowEmpty", "full", "credentials", "retry", "helm", "verify", "createNamespace",
            ]
            var retry: RetryPolicy?
            var helm = HelmSettings()
            var verification: SignatureVerification?
            var createNamespace: ManagedNamespace??
            for (key, value) in entry {
                let name = key.string ?? "?"
                guard known.contains(name) else {
                    problem("\(prefix).\(name)", "unknown field")
                    continue
                }
                if name == "credentials" {
                    credentials = readCredentials(value, field: "\(prefix).credentials", problem: problem)
                } else if name == "retry" {
                    retry = readRetry(value, field: "\(prefix).retry", problem: problem)
                } else if name == "helm" {
                    helm = Self.readHelm(value, field: "\(prefix).helm", problem: problem)
                } else if name == "verify" {
                    verification = readVerify(value, field: "\(prefix).verify", problem: problem)
                } else if name == "createNamespace" {
                    createNamespace = readCreateNamespace(value, field: "\(prefix).createNamespace", problem: problem)
                } else if let scalar = value.scalar?.string {
                    fields[name] = scalar
                } else {
                    problem("\(prefix).\(name)", "must be a single value")
                }
            }
            // Without a usable repo the entry is still checked, so every problem is reported at once.
            var url: RepositoryURL?
            if let repo = fields["repo"], !repo.isEmpty {
                do { url = try RepositoryURL(repo) } catch { problem("\(prefix).repo", "\(error)") }
            } else {
                problem("\(prefix).repo", "required")
            }
            let pins = ["branch", "tag", "semver", "commit"].filter { fields[$0] != nil }
            if pins.count > 1 { problem(prefix, "give at most one of branch, tag, semver and commit (got \(pins.joined(separator: ", ")))") }
            var spec = RefSpec.defaultBranch
            if let branch = fields["branch"] { spec = .branch(branch) }
            if let tag = fields["tag"] { spec = .tag(tag) }
            if let commit = fields["commit"] { spec = .commit(commit) }
            if let semver = fields["semver"] {
                do { spec = .semver(try SemanticVersionRange(semver)) } catch { problem("\(prefix).semver", "\(error)") }
            }
            if let verification {
                let field = "\(prefix).verify"
                let names = SignatureVerification.Names(mode: "mode", keyring: "keys.keyring", allowedSigners: "keys.allowedSigners")
                for message in verification.problems(for: spec, names: names) { problem(field, message) }
            }
            let path = fields["path"] ?? ""
            let name = fields["name"] ?? url.map { Self.derivedName($0, path: path) } ?? "apps[\(index)]"
            if !names.insert(name).inserted { problem("\(prefix).name", "'\(name)' is used by an earlier application") }
            var sync = defaults
            sync.app = name
            sync.inventoryNamespace = inventoryNamespace
            func flag(_ key: String) -> Bool? {
                guard let text = fields[key] else { return nil }
                switch text.lowercased() {
                case "true", "yes", "on": return true
                case "false", "no", "off": return false
                default:
                    problem("\(prefix).\(key)", "'\(text)' is not true or false")
                    return nil
                }
            }
            func duration(_ key: String) -> Duration? {
                guard let text = fields[key] else { return nil }
                guard let value = DurationText.parse(text) else {
                    problem("\(prefix).\(key)", "'\(text)' is not a duration (e.g. 30s, 5m)")
                    return nil
                }
                return value
            }
            if let prune = flag("prune") { sync.prune = prune }
            if let allowEmpty = flag("allowEmpty") { sync.allowEmpty = allowEmpty }
            if let full = flag("full") { sync.full = full }
            if let timeout = duration("timeout") { sync.timeout = timeout }
            if let hookTimeout = duration("hookTimeout") { sync.hookTimeout = hookTimeout }
            if let healthTimeout = duration("healthTimeout") { sync.healthTimeout = healthTimeout }
            var loadOptions = LoadOptions()
            let namespace = fields["namespace"] ?? defaultNamespace
            loadOptions.defaultNamespace = namespace
            // The file's setting wins over --create-namespace; either way the namespace is this application's.
            if let createNamespace { sync.createNamespace = createNamespace }
            sync.createNamespace?.name = namespace
            loadOptions.helm = helm
            guard let url else { continue }
            var application = AgentApplication(
                url: url, spec: spec, path: path, credentials: credentials, loadOptions: loadOptions, sync: sync,
                everyCommit: flag("everyCommit") ?? false)
            application.fingerprint = (try? Yams.serialize(node: node)) ?? "\(index)"
            application.retry = retry
            application.verification = verification
            applications.append(application)
        }
        guard problems.isEmpty else { throw Invalid(problems: problems) }
        return AgentConfigFile(applications: applications, interval: interval)
    }

    /// An application's `retry:` in Argo CD's shape: `limit`, and `backoff` with `duration`,
    /// `factor` and `maxDuration`; what is not given is the default's.
    static func readRetry(_ node: Node, field: String, problem: (String, String) -> Void) -> RetryPolicy? {
        guard let mapping = node.mapping else {
            problem(field, "must be a mapping (limit, backoff)")
            return nil
        }
        var policy = RetryPolicy()
        func integer(_ node: Node, _ name: String, minimum: Int) -> Int? {
            guard let text = node.scalar?.string, let value = Int(text), value >= minimum else {
                problem(name, "'\(node.scalar?.string ?? "")' is not a whole number of at least \(minimum)")
                return nil
            }
            return value
        }
        func duration(_ node: Node, _ name: String) -> Duration? {
            guard let text = node.scalar?.string, let value = DurationText.parse(text) else {
                problem(name, "'\(node.scalar?.string ?? "")' is not a duration (e.g. 5s, 3m)")
                return nil
            }
            return value
        }
        for (key, value) in mapping {
            switch key.string {
            case "limit":
                if let limit = integer(value, "\(field).limit", minimum: 0) { policy.limit = limit }
            case "backoff":
                guard let backoff = value.mapping else {
                    problem("\(field).backoff", "must be a mapping (duration, factor, maxDuration)")
                    continue
                }
                for (inner, setting) in backoff {
                    let name = "\(field).backoff.\(inner.string ?? "?")"
                    switch inner.string {
                    case "duration": if let value = duration(setting, name) { policy.duration = value }
                    case "factor": if let value = integer(setting, name, minimum: 1) { policy.factor = value }
                    case "maxDuration": if let value = duration(setting, name) { policy.maxDuration = value }
                    default: problem(name, "unknown field (known: duration, factor, maxDuration)")
                    }
                }
            default:
                problem("\(field).\(key.string ?? "?")", "unknown field (known: limit, backoff)")
            }
        }
        return policy
    }

    /// An application's `verify:` in the shape of Flux's `spec.verify`: `mode` (`head`, `tag`,
    /// `all-commits`) and `keys` with `keyring` (OpenPGP public keys: a file, or a directory such as
    /// a mounted Secret) and `allowedSigners` (SSH). Whether the files exist is checked by the caller.
    static func readVerify(_ node: Node, field: String, problem: (String, String) -> Void) -> SignatureVerification? {
        guard let mapping = node.mapping else {
            problem(field, "must be a mapping (mode, keys)")
            return nil
        }
        var mode: SignatureVerification.Mode?
        var keyring: String?
        var allowedSigners: String?
        let modes = SignatureVerification.Mode.allCases.map(\.rawValue).joined(separator: ", ")
        for (key, value) in mapping {
            switch key.string {
            case "mode":
                mode = value.string.flatMap { SignatureVerification.Mode(rawValue: $0.lowercased()) }
                if mode == nil { problem("\(field).mode", "'\(value.string ?? "")' is not a verification mode (known: \(modes))") }
            case "keys":
                guard let keys = value.mapping else {
                    problem("\(field).keys", "must be a mapping (keyring, allowedSigners)")
                    continue
                }
                for (inner, setting) in keys {
                    let name = "\(field).keys.\(inner.string ?? "?")"
                    guard let text = setting.string, !text.isEmpty else {
                        problem(name, "must be a file path")
                        continue
                    }
                    switch inner.string {
                    case "keyring": keyring = text
                    case "allowedSigners": allowedSigners = text
                    default: problem(name, "unknown field (known: keyring, allowedSigners)")
                    }
                }
            default:
                problem("\(field).\(key.string ?? "?")", "unknown field (known: mode, keys)")
            }
        }
        guard let mode else {
            if !mapping.contains(where: { $0.key.string == "mode" }) { problem("\(field).mode", "required (\(modes))") }
            return nil
        }
        return SignatureVerification(mode: mode, keyring: keyring, allowedSigners: allowedSigners)
    }

    /// An application's `createNamespace:` (Argo CD's `CreateNamespace=true` with its
    /// `managedNamespaceMetadata`): `true` or `false`, or a mapping with `labels` and `annotations`
    /// (mappings of strings), which means `true`. `nil` after a problem; `.some(nil)` for `false`.
    /// The namespace's name is filled in by the caller.
    static func readCreateNamespace(_ node: Node, field: String, problem: (String, String) -> Void) -> ManagedNamespace?? {
        if let text = node.scalar?.string {
            switch text.lowercased() {
            case "true", "yes", "on": return .some(ManagedNamespace(name: ""))
            case "false", "no", "off": return .some(nil)
            default:
                problem(field, "'\(text)' is not true, false or a mapping with labels and annotations")
                return nil
            }
        }
        guard let mapping = node.mapping else {
            problem(field, "must be true, false or a mapping with labels and annotations")
            return nil
        }
        var namespace = ManagedNamespace(name: "")
        for (key, value) in mapping {
            let name = "\(field).\(key.string ?? "?")"
            var strings: [String: String] = [:]
            if let entries = value.mapping {
                for (entryKey, entryValue) in entries {
                    guard let entryName = entryKey.string, let text = entryValue.scalar?.string else {
                        problem("\(name).\(entryKey.string ?? "?")", "must be a string")
                        continue
                    }
                    strings[entryName] = text
                }
            } else if value.null == nil {
                problem(name, "must be a mapping of strings")
            }
            switch key.string {
            case "labels": namespace.labels = strings
            case "annotations": namespace.annotations = strings
            default: problem(name, "unknown field (known: labels, annotations)")
            }
        }
        return .some(namespace)
    }

    static func readCredentials(_ node: Node, field: String, problem: (String, String) -> Void) -> GitCredentials {
        var credentials = GitCredentials()
        guard let mapping = node.mapping else {
            problem(field, "must be a mapping")
            return credentials
        }
        for (key, value) in mapping {
            let name = key.string ?? "?"
            guard let text = value.string else {
                problem("\(field).\(name)", "must be a single value")
                continue
            }
            do {
                switch name {
                case "username": credentials.username = text
                case "passwordFile": credentials.password = try Secret.file(text)
                case "tokenFile": credentials.bearerToken = try Secret.file(text)
                case "sshKey": credentials.sshPrivateKey = text
                case "knownHosts": credentials.knownHosts = text
                case "caFile": credentials.caBundle = text
                default: problem("\(field).\(name)", "unknown field (known: username, passwordFile, tokenFile, sshKey, knownHosts, caFile)")
                }
            } catch {
                problem("\(field).\(name)", "\(error)")
            }
        }
        if credentials.username != nil, let token = credentials.bearerToken, credentials.password == nil {
            credentials.password = token
            credentials.bearerToken = nil
        }
        return credentials
    }

    /// `--app`'s default: the repository's last path element and the path, `app-deploy`.
    public static func derivedName(_ url: RepositoryURL, path: String) -> String {
        let last = url.description.split(whereSeparator: { $0 == "/" || $0 == ":" }).last.map(String.init) ?? "app"
        var base = last.hasSuffix(".git") ? String(last.dropLast(4)) : last
        if !path.isEmpty { base += "-" + path.split(separator: "/").joined(separator: "-") }
        let cleaned = base.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" }
        let name = String(cleaned).split(separator: "-").joined(separator: "-")
        return name.isEmpty ? "app" : name
    }
}

/// Re-reads a configuration file only when its bytes changed: parsing a file of a thousand
/// applications every two seconds costs more than everything else an idle agent does.
public final class AgentConfigWatcher: @unchecked Sendable {
    private let lock = NSLock()
    private var last: Data?
    private var first = true
    private let path: String
    private let parse: @Sendable () throws -> AgentConfigFile

    /// Watches `path`; `parse` reads and checks it (``AgentConfigFile/load(path:defaults:inventoryNamespace:defaultNamespace:)``).
    public init(path: String, parse: @escaping @Sendable () throws -> AgentConfigFile) {
        self.path = path
        self.parse = parse
    }

    /// The configuration when the file's bytes differ from the last call's (always on the first
    /// call), `nil` when they are the same. A file that cannot be parsed throws once per change.
    public func loadIfChanged() throws -> AgentConfigFile? {
        let bytes = FileManager.default.contents(atPath: path)
        let changed = lock.withLock { () -> Bool in
            guard first || bytes != last else { return false }
            first = false
            last = bytes
            return true
        }
        guard changed else { return nil }
        return try parse()
    }
}
