import Foundation
import Yams

extension KubeConfig {
    /// Reads one kubeconfig file's text. Relative paths are resolved against the directory of
    /// `file` (made absolute), as client-go's `ResolveLocalPaths` does.
    ///
    /// A name defined twice in the same list is an error, as in client-go; empty or
    /// comment-only files are an empty configuration.
    static func parse(_ text: String, file: String) throws(KubeConfigError) -> KubeConfig {
        let root: Node?
        do {
            // The basic resolver: the default one compiles regular expressions (ICU's, resident
            // for the process's life) to tag plain scalars, and fields are read as text anyway.
            root = try Yams.compose(yaml: text, .basic)
        } catch {
            throw KubeConfigError(.invalid, "\(file): not valid YAML: \(Self.yamlProblem(error))")
        }
        let document = KubeConfigNode(node: root, file: file, path: "")
        try document.requireMapping()
        let base = Self.directory(of: file)
        var config = KubeConfig(files: [file])
        for entry in try named(document, "clusters", "cluster") {
            config.clusters[entry.name] = try parseCluster(entry, base: base)
        }
        for entry in try named(document, "users", "user") {
            config.users[entry.name] = try parseUser(entry, base: base)
        }
        for entry in try named(document, "contexts", "context") {
            config.contexts[entry.name] = Context(
                name: entry.name, location: entry.location,
                cluster: try entry.body.child("cluster").string(),
                user: try entry.body.child("user").string(),
                namespace: try entry.body.child("namespace").string())
        }
        if let current = try document.child("current-context").string() {
            config.currentContext = CurrentContext(name: current, file: file)
        }
        return config
    }

    /// One named entry of a list: its name, location and body (the `cluster`, `user` or
    /// `context` mapping).
    private struct NamedEntry {
        var name: String
        var location: Location
        var body: KubeConfigNode
    }

    private static func named(_ document: KubeConfigNode, _ list: String, _ bodyKey: String) throws(KubeConfigError)
        -> [NamedEntry]
    {
        var seen: [String: String] = [:]
        var result: [NamedEntry] = []
        for element in try document.child(list).elements() {
            try element.requireMapping()
            let nameNode = element.child("name")
            guard let name = try nameNode.string() else { throw nameNode.failure("a name is required") }
            if let first = seen[name] {
                throw nameNode.failure("duplicate name \"\(name)\" (also at \(first))")
            }
            seen[name] = element.path
            let body = element.child(bodyKey)
            try body.requireMapping()
            result.append(NamedEntry(name: name, location: Location(file: element.file, path: element.path), body: body))
        }
        return result
    }

    private static func parseCluster(_ entry: NamedEntry, base: String) throws(KubeConfigError) -> Cluster {
        let body = entry.body
        return Cluster(
            name: entry.name, location: entry.location,
            server: try body.child("server").string(),
            certificateAuthority: resolve(try body.child("certificate-authority").string(), base: base),
            certificateAuthorityData: try body.child("certificate-authority-data").string(),
            insecureSkipTLSVerify: try body.child("insecure-skip-tls-verify").bool() ?? false,
            tlsServerName: try body.child("tls-server-name").string(),
            proxyURL: try body.child("proxy-url").string())
    }

    private static func parseUser(_ entry: NamedEntry, base: String) throws(KubeConfigError) -> User {
        let body = entry.body
        var user = User(name: entry.name, location: entry.location)
        user.token = try body.child("token").string()
        user.tokenFile = resolve(try body.child("tokenFile").string(), base: base)
        user.clientCertificate = resolve(try body.child("client-certificate").string(), base: base)
        user.clientCertificateData = try body.child("client-certificate-data").string()
        user.clientKey = resolve(try body.child("client-key").string(), base: base)
        user.clientKeyData = try body.child("client-key-data").string()
        user.username = try body.child("username").string()
        user.password = try body.child("password").string()
        user.hasAuthProvider = body.child("auth-provider").isPresent
        let execNode = body.child("exec")
        if execNode.isPresent {
            try execNode.requireMapping()
            user.exec = try parseExec(execNode, base: base)
        }
        return user
    }

    private static func parseExec(_ node: KubeConfigNode, base: String) throws(KubeConfigError) -> Exec {
        var exec = Exec()
        exec.apiVersion = try node.child("apiVersion").string()
        exec.command = try node.child("command").string()
        // Only a command with a directory part is a path; a bare name is looked up in PATH.
        if let command = exec.command, command.contains("/") {
            exec.command = resolve(command, base: base)
        }
        exec.args = try node.child("args").stringList()
        for variable in try node.child("env").elements() {
            try variable.requireMapping()
            let nameNode = variable.child("name")
            guard let name = try nameNode.string() else { throw nameNode.failure("an environment variable name is required") }
            exec.env.append((name, try variable.child("value").string() ?? ""))
        }
        exec.installHint = try node.child("installHint").string()
        exec.provideClusterInfo = try node.child("provideClusterInfo").bool() ?? false
        exec.interactiveMode = try node.child("interactiveMode").string()
        return exec
    }

    /// `path` made absolute against `base` when it is relative.
    static func resolve(_ path: String?, base: String) -> String? {
        guard let path else { return nil }
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: base, isDirectory: true)).standardizedFileURL.path
    }

    /// The absolute directory containing `file`.
    static func directory(of file: String) -> String {
        let absolute = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        return URL(fileURLWithPath: absolute).deletingLastPathComponent().standardizedFileURL.path
    }

    /// Yams' description of a parse error, which quotes the problem and its line but, unlike
    /// `String(describing:)`, not the offending line's full text (it may hold a token).
    private static func yamlProblem(_ error: any Error) -> String {
        guard let yamlError = error as? YamlError else { return "unreadable document" }
        switch yamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return "\(problem) at line \(mark.line), column \(mark.column)"
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate keys \(duplicates.joined(separator: ", "))"
        default:
            return "unreadable document"
        }
    }
}
