import Foundation
import KubeModel

extension KubeConfigLoader {
    /// Validates a user's `exec` section, as client-go does, and describes how to run it.
    ///
    /// `command` and `apiVersion` are required; `interactiveMode` is required for
    /// `client.authentication.k8s.io/v1` and defaults to `IfAvailable` for `v1beta1`.
    static func execConfiguration(
        _ exec: KubeConfig.Exec, user: KubeConfig.User, connection: ClusterConnection, environment: [String: String]
    ) throws(KubeConfigError) -> ExecCredentialPlugin.Configuration {
        let location = user.location
        guard let command = exec.command else {
            throw location.failure(.invalid, "user.exec.command", "a command is required to use an exec credential plugin")
        }
        guard let apiVersion = exec.apiVersion else {
            throw location.failure(.invalid, "user.exec.apiVersion", "an apiVersion is required to use an exec credential plugin")
        }
        let supported = ExecCredentialPlugin.Configuration.supportedAPIVersions
        guard supported.contains(apiVersion) else {
            throw location.failure(
                .invalid, "user.exec.apiVersion",
                "\"\(apiVersion)\" is not supported; use \(supported.joined(separator: " or "))")
        }
        let mode: ExecCredentialPlugin.InteractiveMode
        if let text = exec.interactiveMode {
            guard let parsed = ExecCredentialPlugin.InteractiveMode(rawValue: text) else {
                let allowed = ExecCredentialPlugin.InteractiveMode.allCases.map(\.rawValue).joined(separator: ", ")
                throw location.failure(.invalid, "user.exec.interactiveMode", "\"\(text)\" is not one of \(allowed)")
            }
            mode = parsed
        } else if apiVersion == "client.authentication.k8s.io/v1beta1" {
            mode = .ifAvailable
        } else {
            throw location.failure(
                .invalid, "user.exec.interactiveMode",
                "interactiveMode is required with \(apiVersion) (Never, IfAvailable or Always)")
        }
        return ExecCredentialPlugin.Configuration(
            apiVersion: apiVersion, command: command, arguments: exec.args,
            environment: exec.env.map { ExecCredentialPlugin.EnvironmentVariable(name: $0.name, value: $0.value) },
            installHint: exec.installHint, provideClusterInfo: exec.provideClusterInfo, interactiveMode: mode,
            clusterInfo: execClusterInfo(connection), baseEnvironment: environment,
            origin: "\(location.file): \(location.field("user.exec"))")
    }

    /// `spec.cluster` of `KUBERNETES_EXEC_INFO`, as client-go's `ConfigToExecCluster` fills it.
    static func execClusterInfo(_ connection: ClusterConnection) -> JSONValue {
        var cluster: JSONValue = ["server": .string(connection.server)]
        if let name = connection.tls.serverName { cluster["tls-server-name"] = .string(name) }
        if connection.tls.insecureSkipVerify { cluster["insecure-skip-tls-verify"] = true }
        if let ca = connection.tls.caPEM {
            cluster["certificate-authority-data"] = .string(Data(ca.utf8).base64EncodedString())
        }
        if let proxy = connection.proxyURL { cluster["proxy-url"] = .string(proxy) }
        return cluster
    }
}
