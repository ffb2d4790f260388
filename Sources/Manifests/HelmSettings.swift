import Crypto
import Foundation

/// How a directory holding a `Chart.yaml` is rendered: the settings of Argo CD's
/// `spec.source.helm`, passed to `helm template` the way Argo CD's repo-server passes them.
public struct HelmSettings: Sendable, Hashable {
    /// One `--set` (or, with `forceString`, `--set-string`) parameter.
    public struct Parameter: Sendable, Hashable {
        public var name: String
        public var value: String
        public var forceString: Bool

        public init(name: String, value: String, forceString: Bool = false) {
            self.name = name
            self.value = value
            self.forceString = forceString
        }

        /// `NAME=VALUE`, as `--helm-set` takes it; `nil` when there is no `=` or no name.
        public init?(assignment: String) {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else { return nil }
            self.init(name: String(assignment[..<equals]), value: String(assignment[assignment.index(after: equals)...]))
        }
    }

    /// How to log in to the chart repositories that dependencies come from, as a Git source's
    /// credentials: a user and a file holding the password (read at each use, never copied into
    /// settings, logs or the ledger), a CA bundle, or no TLS verification.
    public struct RepositoryCredentials: Sendable, Hashable {
        public var username: String?
        public var passwordFile: String?
        public var caFile: String?
        public var insecureSkipTLSVerify: Bool

        public init(username: String? = nil, passwordFile: String? = nil, caFile: String? = nil, insecureSkipTLSVerify: Bool = false) {
            self.username = username
            self.passwordFile = passwordFile
            self.caFile = caFile
            self.insecureSkipTLSVerify = insecureSkipTLSVerify
        }
    }

    /// False to refuse charts instead of rendering them (`--no-helm`).
    public var enabled: Bool
    /// The release name (`.Release.Name`); `nil` is the application's name.
    public var releaseName: String?
    /// Values files, relative to the chart's directory (`values-production.yaml`,
    /// `../shared/values.yaml`), in order; the chart's own `values.yaml` always comes first.
    public var valueFiles: [String]
    /// Values as YAML text, applied after the files.
    public var values: String
    /// `--set` parameters, applied last, in order.
    public var parameters: [Parameter]
    /// Leave the chart's `crds/` out (Argo CD's `skipCrds`); by default they are rendered.
    public var skipCRDs: Bool
    /// Leave the chart's test hooks out (Argo CD's `skipTests`).
    public var skipTests: Bool
    /// Credentials for the chart repositories of dependencies that are not vendored.
    public var repositoryCredentials: RepositoryCredentials

    public init(
        enabled: Bool = true, releaseName: String? = nil, valueFiles: [String] = [], values: String = "", parameters: [Parameter] = [],
        skipCRDs: Bool = false, skipTests: Bool = false, repositoryCredentials: RepositoryCredentials = RepositoryCredentials()
    ) {
        self.repositoryCredentials = repositoryCredentials
        self.enabled = enabled
        self.releaseName = releaseName
        self.valueFiles = valueFiles
        self.values = values
        self.parameters = parameters
        self.skipCRDs = skipCRDs
        self.skipTests = skipTests
    }

    /// What the ledger keeps with an attempt: every setting, with the inline values and the
    /// parameters' values as SHA-256 digests (values files and `--set` often carry passwords).
    /// One line of JSON with sorted keys.
    /// `charts` are the charts' directories (relative to the repository's root) and `kubeVersion`
    /// the cluster version rendered for.
    public func recorded(releaseName defaultName: String, charts: [String] = [], kubeVersion: String? = nil) -> String {
        var object: [String: Any] = ["renderer": "helm", "releaseName": releaseName ?? defaultName]
        if !charts.isEmpty { object["chart"] = charts.map { $0.isEmpty ? "." : $0 }.joined(separator: ", ") }
        if let kubeVersion { object["kubeVersion"] = kubeVersion }
        if !enabled { object["enabled"] = false }
        if !valueFiles.isEmpty { object["valueFiles"] = valueFiles }
        if !values.isEmpty { object["values"] = Self.digest(values) }
        if !parameters.isEmpty {
            object["parameters"] = parameters.map { parameter -> [String: Any] in
                var entry: [String: Any] = ["name": parameter.name, "value": Self.digest(parameter.value)]
                if parameter.forceString { entry["forceString"] = true }
                return entry
            }
        }
        if skipCRDs { object["skipCrds"] = true }
        if skipTests { object["skipTests"] = true }
        if let username = repositoryCredentials.username { object["repositoryUsername"] = username }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    static func digest(_ text: String) -> String {
        "sha256:" + SHA256.hash(data: Data(text.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }
}

/// What the target cluster is, as Helm's `.Capabilities` shows it: the server's version
/// (`--kube-version`) and every API version it serves, as `group/version` and
/// `group/version/Kind` (`--api-versions`), the way Argo CD passes them.
public struct HelmCapabilities: Sendable, Hashable {
    public var kubeVersion: String
    public var apiVersions: [String]

    public init(kubeVersion: String, apiVersions: [String]) {
        self.kubeVersion = kubeVersion
        self.apiVersions = apiVersions
    }
}
