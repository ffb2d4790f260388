import KubeModel

extension ExecCredentialPlugin {
    /// Whether a plugin may talk to the user (`interactiveMode`).
    public enum InteractiveMode: String, Sendable, Hashable, CaseIterable {
        /// Standard input is never given to the plugin.
        case never = "Never"
        /// Standard input is given when it is a terminal.
        case ifAvailable = "IfAvailable"
        /// The plugin needs a terminal; running without one is an error.
        case always = "Always"
    }

    /// One `env` entry of the exec configuration.
    public struct EnvironmentVariable: Sendable, Hashable {
        /// The variable's name.
        public var name: String
        /// The variable's value.
        public var value: String

        /// Creates an entry.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// How to run a plugin: a kubeconfig `users[].user.exec` section, plus the cluster it
    /// authenticates to.
    public struct Configuration: Sendable {
        /// The `ExecCredential` API version the plugin speaks:
        /// `client.authentication.k8s.io/v1` or `client.authentication.k8s.io/v1beta1`.
        public var apiVersion: String
        /// The executable: an absolute path, or a name looked up in the `PATH` of
        /// ``baseEnvironment``.
        public var command: String
        /// The arguments (they may hold secrets, so they never appear in messages).
        public var arguments: [String]
        /// Variables added to ``baseEnvironment``, later entries winning.
        public var environment: [EnvironmentVariable]
        /// Printed when the command cannot be found (`installHint`).
        public var installHint: String?
        /// Whether `KUBERNETES_EXEC_INFO` carries ``clusterInfo`` (`provideClusterInfo`).
        public var provideClusterInfo: Bool
        /// Whether the plugin may read standard input.
        public var interactiveMode: InteractiveMode
        /// The cluster, as `spec.cluster` of `KUBERNETES_EXEC_INFO`: `server`,
        /// `certificate-authority-data`, `tls-server-name`, `insecure-skip-tls-verify`,
        /// `proxy-url`.
        public var clusterInfo: JSONValue?
        /// The environment the plugin starts from (normally this process's).
        public var baseEnvironment: [String: String]
        /// Where the plugin is configured, quoted in error messages, e.g.
        /// `/home/u/.kube/config: users[0].user.exec`.
        public var origin: String
        /// How long one run may take before its process group is killed.
        public var timeout: Duration

        /// Creates a configuration; see the properties.
        public init(
            apiVersion: String, command: String, arguments: [String] = [], environment: [EnvironmentVariable] = [],
            installHint: String? = nil, provideClusterInfo: Bool = false, interactiveMode: InteractiveMode = .ifAvailable,
            clusterInfo: JSONValue? = nil, baseEnvironment: [String: String] = [:], origin: String? = nil,
            timeout: Duration = .seconds(120)
        ) {
            self.apiVersion = apiVersion
            self.command = command
            self.arguments = arguments
            self.environment = environment
            self.installHint = installHint
            self.provideClusterInfo = provideClusterInfo
            self.interactiveMode = interactiveMode
            self.clusterInfo = clusterInfo
            self.baseEnvironment = baseEnvironment
            self.origin = origin ?? "exec plugin \(command)"
            self.timeout = timeout
        }

        /// The API versions of `ExecCredential` that Sluice understands.
        public static let supportedAPIVersions = [
            "client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1",
        ]

        /// The plugin's full environment: the base, the configured variables, and
        /// `KUBERNETES_EXEC_INFO` (as client-go always sets it).
        func processEnvironment(interactive: Bool) -> [String: String] {
            var result = baseEnvironment
            for variable in environment { result[variable.name] = variable.value }
            var spec: JSONValue = ["interactive": .bool(interactive)]
            if provideClusterInfo, let clusterInfo { spec["cluster"] = clusterInfo }
            let info: JSONValue = ["apiVersion": .string(apiVersion), "kind": "ExecCredential", "spec": spec]
            result["KUBERNETES_EXEC_INFO"] = info.serialized()
            return result
        }
    }
}
