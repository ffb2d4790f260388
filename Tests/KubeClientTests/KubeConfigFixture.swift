import Foundation
import KubeClient
import TestSupport

/// Kubeconfig files, certificates and plugin scripts written into a temporary directory for one
/// test, and the loader run against them with a home directory inside it.
final class KubeConfigFixture {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory(label: "kubeconfig")
    }

    /// The directory's path.
    var path: String { directory.path }

    /// The fake home directory (`<dir>/home`), where `.kube/config` is looked for.
    var home: String { "\(path)/home" }

    /// Writes `text` to `relativePath` (directories created) and returns the absolute path.
    /// `DIR` in the text is replaced with the fixture directory's path.
    @discardableResult
    func write(_ relativePath: String, _ text: String, executable: Bool = false) throws -> String {
        let url = directory.appending(relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let bytes = Array(text.replacingOccurrences(of: "DIR", with: path).utf8)
        guard executable else {
            try Data(bytes).write(to: url)
            return url.path
        }
        // An executable is written through a close-on-exec descriptor and renamed into place:
        // a process that other tests spawn meanwhile must not inherit it open for writing, or
        // running it fails with "Text file busy" for as long as that process lives.
        let temporary = url.path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary]) }
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count, rename(temporary, url.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        return url.path
    }

    /// Writes a `/bin/sh` script and returns its path.
    @discardableResult
    func script(_ relativePath: String, _ body: String) throws -> String {
        try write(relativePath, "#!/bin/sh\n" + body + "\n", executable: true)
    }

    /// Runs ``KubeConfigLoader/load(explicitPath:context:environment:homeDirectory:)`` with
    /// `KUBECONFIG` set to `kubeconfig` (relative names inside the fixture) when given.
    func load(
        explicit: String? = nil, kubeconfig: [String]? = nil, context: String? = nil, environment: [String: String] = [:]
    ) throws(KubeConfigError) -> ClusterConnection {
        var env = environment
        if let kubeconfig {
            env["KUBECONFIG"] = kubeconfig.map { $0.hasPrefix("/") ? $0 : "\(path)/\($0)" }.joined(separator: ":")
        }
        if env["PATH"] == nil { env["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin" }
        let explicitPath = explicit.map { $0.hasPrefix("/") ? $0 : "\(path)/\($0)" }
        return try KubeConfigLoader.load(explicitPath: explicitPath, context: context, environment: env, homeDirectory: home)
    }

    /// The error ``load(explicit:kubeconfig:context:environment:)`` throws, or nil when it succeeds.
    func loadError(
        explicit: String? = nil, kubeconfig: [String]? = nil, context: String? = nil, environment: [String: String] = [:]
    ) -> KubeConfigError? {
        do {
            _ = try load(explicit: explicit, kubeconfig: kubeconfig, context: context, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    /// Base64 of `text`, for `-data` fields.
    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// A one-cluster, one-user kubeconfig; `user` and `cluster` are indented YAML bodies.
    static func single(cluster: String = "server: https://127.0.0.1:6443", user: String? = nil, namespace: String? = nil) -> String {
        let indent = { (body: String) in body.split(separator: "\n").map { "    \($0)" }.joined(separator: "\n") }
        var text = """
            apiVersion: v1
            kind: Config
            current-context: main
            clusters:
            - name: main
              cluster:
            \(indent(cluster))
            contexts:
            - name: main
              context:
                cluster: main

            """
        if user != nil { text += "    user: main\n" }
        if let namespace { text += "    namespace: \(namespace)\n" }
        if let user { text += "users:\n- name: main\n  user:\n\(indent(user))\n" }
        return text
    }
}
