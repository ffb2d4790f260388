/// Finds cluster configuration the way kubectl and client-go do, and resolves it to a
/// ``ClusterConnection``.
public enum KubeConfigLoader {
    /// The service account directory a pod's token, CA and namespace are mounted in.
    public static let defaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// Loads kubeconfig by kubectl's rules and resolves one context to a connection.
    ///
    /// Files: `explicitPath` (`--kubeconfig`) alone when given, and it must exist; otherwise
    /// every file in `$KUBECONFIG` (colon-separated; missing files are skipped, as kubectl
    /// does) merged so that the first file to define a cluster, user or context name, or to set
    /// `current-context`, wins; otherwise `~/.kube/config`. Relative paths inside a file are
    /// resolved against that file's directory. Then `context` (`--context`) or the
    /// `current-context` is resolved: its cluster, its user, and its namespace (or `default`).
    /// Certificate, key and token files are read now, so a broken path fails here.
    ///
    /// - Parameters:
    ///   - explicitPath: `--kubeconfig FILE`, or nil.
    ///   - context: `--context NAME`, or nil for the current context.
    ///   - environment: where `KUBECONFIG` is read, and what exec plugins start from.
    ///   - homeDirectory: where `.kube/config` is looked for.
    /// - Throws: ``KubeConfigError`` with `.notFound` when no kubeconfig exists (so a caller can
    ///   fall back to in-cluster configuration), and other codes naming the file and field at
    ///   fault.
    public static func load(
        explicitPath: String?, context: String?, environment: [String: String], homeDirectory: String
    ) throws(KubeConfigError) -> ClusterConnection {
        let config = try loadConfig(explicitPath: explicitPath, environment: environment, homeDirectory: homeDirectory)
        return try connection(from: config, context: context, environment: environment)
    }

    /// The kubeconfig files to read, most important first, and whether they must exist.
    static func candidateFiles(
        explicitPath: String?, environment: [String: String], homeDirectory: String
    ) -> (files: [String], explicit: Bool) {
        if let explicitPath, !explicitPath.isEmpty { return ([explicitPath], true) }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            var seen = Set<String>()
            let files = list.split(separator: ":").map(String.init).filter { !$0.isEmpty && seen.insert($0).inserted }
            if !files.isEmpty { return (files, false) }
        }
        let home = homeDirectory.hasSuffix("/") ? String(homeDirectory.dropLast()) : homeDirectory
        return (["\(home)/.kube/config"], false)
    }

    /// Reads and merges the kubeconfig files kubectl would.
    static func loadConfig(
        explicitPath: String?, environment: [String: String], homeDirectory: String
    ) throws(KubeConfigError) -> KubeConfig {
        let candidates = candidateFiles(explicitPath: explicitPath, environment: environment, homeDirectory: homeDirectory)
        var configs: [KubeConfig] = []
        for file in candidates.files {
            switch KubeConfigFileSystem.text(file) {
            case .success(let text):
                configs.append(try KubeConfig.parse(text, file: file))
            case .failure(let problem) where problem.isMissing && !candidates.explicit:
                continue
            case .failure(let problem):
                throw KubeConfigError(problem.isMissing ? .notFound : .io, "\(file): cannot read the kubeconfig: \(problem.reason)")
            }
        }
        guard !configs.isEmpty else {
            if let list = environment["KUBECONFIG"], !list.isEmpty {
                throw KubeConfigError(.notFound, "none of the kubeconfig files in KUBECONFIG exist: \(list)")
            }
            throw KubeConfigError(.notFound, "\(candidates.files.joined()): no kubeconfig file (KUBECONFIG is not set)")
        }
        let merged = KubeConfig.merged(configs)
        if merged.isEmpty {
            throw KubeConfigError(.notFound, "\(merged.files.joined(separator: ", ")): the kubeconfig defines no clusters, users or contexts")
        }
        return merged
    }

    /// Resolves `contextName` (or the current context) of `config` to a connection.
    static func connection(
        from config: KubeConfig, context contextName: String?, environment: [String: String]
    ) throws(KubeConfigError) -> ClusterConnection {
        let files = config.files.joined(separator: ", ")
        let name: String
        if let contextName, !contextName.isEmpty {
            name = contextName
        } else if let current = config.currentContext {
            name = current.name
        } else {
            throw KubeConfigError(.missingContext, "\(files): current-context is not set; choose a context with --context NAME")
        }
        guard let context = config.contexts[name] else {
            let known = config.contexts.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            let suffix = known.isEmpty ? "no contexts are defined" : "defined: \(known)"
            if let contextName, !contextName.isEmpty {
                throw KubeConfigError(.missingContext, "\(files): context \"\(name)\" not found (\(suffix))")
            }
            let setter = config.currentContext?.file ?? files
            throw KubeConfigError(.missingContext, "\(setter): current-context: context \"\(name)\" not found (\(suffix))")
        }
        guard let clusterName = context.cluster else {
            throw context.location.failure(.missingCluster, "context.cluster", "context \"\(name)\" names no cluster")
        }
        guard let cluster = config.clusters[clusterName] else {
            throw context.location.failure(.missingCluster, "context.cluster", "cluster \"\(clusterName)\" not found")
        }
        var user: KubeConfig.User?
        if let userName = context.user {
            guard let found = config.users[userName] else {
                throw context.location.failure(.missingUser, "context.user", "user \"\(userName)\" not found")
            }
            user = found
        }
        if let namespace = context.namespace, !isDNSLabel(namespace) {
            throw context.location.failure(.invalid, "context.namespace", "\"\(namespace)\" is not a valid namespace name (a DNS-1123 label)")
        }
        var connection = try clusterConnection(cluster)
        connection.contextName = name
        connection.namespace = context.namespace ?? "default"
        if let user { try applyClientCertificate(user, to: &connection) }
        try validateServer(&connection, cluster: cluster)
        if let user { try applyCredentials(user, to: &connection, environment: environment) }
        return connection
    }

    /// Whether `name` is a DNS-1123 label: lower-case alphanumerics and `-`, at most 63.
    static func isDNSLabel(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        let allowed = { (byte: UInt8) in (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 45 }
        return bytes.allSatisfy(allowed) && bytes.first != 45 && bytes.last != 45
    }
}
