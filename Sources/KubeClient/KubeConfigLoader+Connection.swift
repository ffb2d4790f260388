import Foundation
import KubeModel

extension KubeConfigLoader {
    /// The server, TLS and proxy settings of a cluster entry, with its files read.
    static func clusterConnection(_ cluster: KubeConfig.Cluster) throws(KubeConfigError) -> ClusterConnection {
        let location = cluster.location
        var tls = ClusterConnection.TLS(insecureSkipVerify: cluster.insecureSkipTLSVerify, serverName: cluster.tlsServerName)
        if cluster.certificateAuthority != nil && cluster.certificateAuthorityData != nil {
            throw location.failure(
                .invalid, "cluster.certificate-authority-data",
                "both certificate-authority and certificate-authority-data are set; keep one")
        }
        tls.caPEM = try pem(
            data: cluster.certificateAuthorityData, dataField: "cluster.certificate-authority-data",
            file: cluster.certificateAuthority, fileField: "cluster.certificate-authority", at: location)
        if tls.caPEM != nil && tls.insecureSkipVerify {
            throw location.failure(
                .invalid, "cluster.insecure-skip-tls-verify",
                "cannot be combined with a certificate authority (client-go refuses it too); keep one")
        }
        guard let rawServer = cluster.server else {
            throw location.failure(.invalid, "cluster.server", "no server is set for cluster \"\(cluster.name)\"")
        }
        // Normalised by `validateServer` once the user's client certificate is known.
        var connection = ClusterConnection(server: rawServer, tls: tls)
        if let proxy = cluster.proxyURL {
            guard let components = URLComponents(string: proxy), let scheme = components.scheme?.lowercased(),
                ["http", "https", "socks5"].contains(scheme), components.encodedHost?.isEmpty == false
            else {
                throw location.failure(.invalid, "cluster.proxy-url", "not a URL with scheme http, https or socks5 and a host")
            }
            connection.proxyURL = proxy
        }
        return connection
    }

    /// Replaces the cluster's `server` with its normalised form. As in client-go, a bare
    /// `host:port` gets `https://` when any TLS setting (CA, insecure, client certificate) is
    /// present and `http://` otherwise.
    static func validateServer(_ connection: inout ClusterConnection, cluster: KubeConfig.Cluster) throws(KubeConfigError) {
        let tls = connection.tls
        let defaultTLS = tls.caPEM != nil || tls.insecureSkipVerify || tls.clientCertificatePEM != nil
        guard let server = normalizedServer(connection.server, defaultTLS: defaultTLS) else {
            throw cluster.location.failure(
                .invalid, "cluster.server",
                "\"\(ClusterConnection.redactingUserInfo(connection.server))\" is not an http or https URL")
        }
        connection.server = server
    }

    /// `server` as `scheme://host[:port][/prefix]` without a trailing slash, or nil.
    static func normalizedServer(_ server: String, defaultTLS: Bool) -> String? {
        var text = server.trimmingCharacters(in: .whitespaces)
        // `encodedHost`, not `host`: decoding the host runs ICU's IDNA (its data resident for the process's life).
        let hasSchemeAndHost = URLComponents(string: text).map { $0.scheme != nil && $0.encodedHost?.isEmpty == false } ?? false
        if !hasSchemeAndHost { text = (defaultTLS ? "https://" : "http://") + text }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "https" || scheme == "http", components.encodedHost?.isEmpty == false,
            components.query == nil, components.fragment == nil
        else { return nil }
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// A PEM value from a `-data` field (base64) or a file, whichever is set.
    static func pem(
        data: String?, dataField: String, file: String?, fileField: String, at location: KubeConfig.Location
    ) throws(KubeConfigError) -> String? {
        if let data {
            let compact = data.filter { !$0.isWhitespace }
            guard let decoded = Data(base64Encoded: compact) else {
                throw location.failure(.invalid, dataField, "not valid base64")
            }
            return String(decoding: decoded, as: UTF8.self)
        }
        guard let file else { return nil }
        switch KubeConfigFileSystem.text(file) {
        case .success(let text): return text
        case .failure(let problem): throw location.failure(.io, fileField, "cannot read \(file): \(problem.reason)")
        }
    }

    /// Adds a user's client certificate (from files or `-data`) to `connection`.
    static func applyClientCertificate(_ user: KubeConfig.User, to connection: inout ClusterConnection) throws(KubeConfigError) {
        let location = user.location
        for (file, data, name) in [
            (user.clientCertificate, user.clientCertificateData, "client-certificate"),
            (user.clientKey, user.clientKeyData, "client-key"),
        ] where file != nil && data != nil {
            throw location.failure(.invalid, "user.\(name)-data", "both \(name) and \(name)-data are set; keep one")
        }
        connection.tls.clientCertificatePEM = try pem(
            data: user.clientCertificateData, dataField: "user.client-certificate-data",
            file: user.clientCertificate, fileField: "user.client-certificate", at: location)
        connection.tls.clientKeyPEM = try pem(
            data: user.clientKeyData, dataField: "user.client-key-data",
            file: user.clientKey, fileField: "user.client-key", at: location)
        if connection.tls.clientCertificatePEM != nil && connection.tls.clientKeyPEM == nil {
            throw location.failure(.invalid, "user.client-key", "a client certificate is set without client-key or client-key-data")
        }
        if connection.tls.clientKeyPEM != nil && connection.tls.clientCertificatePEM == nil {
            throw location.failure(
                .invalid, "user.client-certificate", "a client key is set without client-certificate or client-certificate-data")
        }
    }

    /// Sets `connection`'s credentials from a user entry.
    ///
    /// Like client-go: `tokenFile` wins over `token` (client-go uses the literal only until
    /// it first reads the file), a token wins over an exec plugin, basic auth also does (exec
    /// never overrides an `Authorization` header already set), and `token` together with basic
    /// auth is an error. The token file is read once now so a wrong path fails at load time.
    static func applyCredentials(
        _ user: KubeConfig.User, to connection: inout ClusterConnection, environment: [String: String]
    ) throws(KubeConfigError) {
        let location = user.location
        if user.hasAuthProvider {
            throw location.failure(
                .invalid, "user.auth-provider",
                "auth-provider plugins are not supported; use an exec credential plugin (kubelogin, gke-gcloud-auth-plugin, …)")
        }
        let hasBasic = user.username != nil || user.password != nil
        if user.token != nil && hasBasic {
            throw location.failure(.invalid, "user", "more than one authentication method (token and username/password); keep one")
        }
        if let tokenFile = user.tokenFile {
            let source = ClusterConnection.TokenFile(path: tokenFile)
            do {
                _ = try source.currentToken()
            } catch {
                throw location.failure(.io, "user.tokenFile", error.message)
            }
            connection.credentials = .token(.file(source))
        } else if let token = user.token {
            connection.credentials = .token(.literal(token))
        } else if hasBasic {
            connection.credentials = .basic(username: user.username ?? "", password: user.password ?? "")
        } else if let exec = user.exec {
            let configuration = try execConfiguration(exec, user: user, connection: connection, environment: environment)
            connection.credentials = .token(.exec(ExecCredentialPlugin(configuration: configuration)))
        }
    }
}
