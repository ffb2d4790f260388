import Foundation

extension KubeConfigLoader {
    /// The configuration of a pod's service account, as client-go's `InClusterConfig` reads it.
    ///
    /// The server is `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`; the token is
    /// `token` in `serviceAccountDirectory`, re-read when the kubelet rotates it (and at least
    /// once a minute); `ca.crt` is the trust anchor (the system store when it is missing, as
    /// client-go carries on without it); the namespace is `$POD_NAMESPACE`, else the
    /// `namespace` file, else `default`.
    ///
    /// - Throws: ``KubeConfigError`` `.notFound` when not running in a pod (the variables are
    ///   unset or there is no token file), `.io` when a file exists but cannot be read.
    public static func inCluster(
        environment: [String: String], serviceAccountDirectory: String = defaultServiceAccountDirectory
    ) throws(KubeConfigError) -> ClusterConnection {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw KubeConfigError(
                .notFound, "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set")
        }
        guard let portNumber = UInt16(port), portNumber > 0 else {
            throw KubeConfigError(.invalid, "KUBERNETES_SERVICE_PORT: \"\(port)\" is not a port number")
        }
        let directory = serviceAccountDirectory.hasSuffix("/") ? String(serviceAccountDirectory.dropLast()) : serviceAccountDirectory
        let tokenPath = "\(directory)/token"
        let tokenFile = ClusterConnection.TokenFile(path: tokenPath)
        if case .failure(let problem) = KubeConfigFileSystem.contents(tokenPath) {
            throw KubeConfigError(problem.isMissing ? .notFound : .io, "\(tokenPath): cannot read the service account token: \(problem.reason)")
        }
        _ = try tokenFile.currentToken()

        var tls = ClusterConnection.TLS()
        switch KubeConfigFileSystem.text("\(directory)/ca.crt") {
        case .success(let pem): tls.caPEM = pem
        case .failure(let problem) where problem.isMissing: break
        case .failure(let problem): throw KubeConfigError(.io, "\(directory)/ca.crt: cannot read the cluster CA: \(problem.reason)")
        }

        var namespace = "default"
        if let fromEnvironment = environment["POD_NAMESPACE"], !fromEnvironment.isEmpty {
            namespace = fromEnvironment
        } else if case .success(let text) = KubeConfigFileSystem.text("\(directory)/namespace") {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { namespace = trimmed }
        }
        // An IPv6 service address needs brackets in a URL, as Go's net.JoinHostPort adds them.
        let authority = host.contains(":") ? "[\(host)]:\(portNumber)" : "\(host):\(portNumber)"
        return ClusterConnection(
            server: "https://\(authority)", tls: tls, credentials: .token(.file(tokenFile)), namespace: namespace)
    }
}
