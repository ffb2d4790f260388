import Curl
import Foundation

/// Everything needed to reach one cluster: the result of resolving a kubeconfig
/// (``KubeConfigLoader/load(explicitPath:context:environment:homeDirectory:)``) or the in-cluster
/// service account (``KubeConfigLoader/inCluster(environment:serviceAccountDirectory:)``).
///
/// Printing a connection shows the server and context only: certificates, keys, tokens and
/// passwords never appear in ``description``, `debugDescription` or `dump`.
public struct ClusterConnection: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// How to verify the server and which client certificate to present.
    public struct TLS: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        /// The PEM bundle of certificate authorities to trust instead of the system store
        /// (from `certificate-authority` or `certificate-authority-data`, or the service
        /// account's `ca.crt`).
        public var caPEM: String?
        /// Skip verifying the server's certificate (`insecure-skip-tls-verify`).
        public var insecureSkipVerify: Bool
        /// The name to verify the server's certificate against (and send as SNI) instead of
        /// the host in ``ClusterConnection/server`` (`tls-server-name`).
        public var serverName: String?
        /// The client certificate, PEM (`client-certificate` or `client-certificate-data`).
        public var clientCertificatePEM: String?
        /// The client certificate's private key, PEM (`client-key` or `client-key-data`).
        public var clientKeyPEM: String?

        /// Creates TLS settings; by default the system's trust store and no client certificate.
        public init(
            caPEM: String? = nil, insecureSkipVerify: Bool = false, serverName: String? = nil,
            clientCertificatePEM: String? = nil, clientKeyPEM: String? = nil
        ) {
            self.caPEM = caPEM
            self.insecureSkipVerify = insecureSkipVerify
            self.serverName = serverName
            self.clientCertificatePEM = clientCertificatePEM
            self.clientKeyPEM = clientKeyPEM
        }

        /// Which settings are present, never the key.
        public var description: String {
            var parts = [caPEM == nil ? "system CAs" : "custom CA"]
            if insecureSkipVerify { parts.append("insecure") }
            if let serverName { parts.append("server name \(serverName)") }
            if clientCertificatePEM != nil { parts.append("client certificate") }
            return "TLS(\(parts.joined(separator: ", ")))"
        }

        public var debugDescription: String { description }
        public var customMirror: Mirror { Mirror(self, children: ["summary": description]) }
    }

    /// The API server's base URL: `https://host:port`, possibly with a path prefix, without a
    /// trailing slash.
    public var server: String
    /// How to verify the server and which client certificate to present.
    public var tls: TLS
    /// How to authenticate.
    public var credentials: Credentials
    /// The proxy to reach the server through (`proxy-url`: http, https or socks5), which may
    /// carry credentials of its own. Nil means the usual proxy environment variables apply.
    public var proxyURL: String?
    /// The default namespace: the context's, the service account's, or `default`.
    public var namespace: String
    /// The kubeconfig context this came from; nil for in-cluster configuration.
    public var contextName: String?

    /// Creates a connection; by default unauthenticated, system CAs, namespace `default`.
    public init(
        server: String, tls: TLS = TLS(), credentials: Credentials = .none, proxyURL: String? = nil,
        namespace: String = "default", contextName: String? = nil
    ) {
        self.server = server
        self.tls = tls
        self.credentials = credentials
        self.proxyURL = proxyURL
        self.namespace = namespace
        self.contextName = contextName
    }

    /// The server (without any user information in its URL) and the context, for logs and
    /// messages: `https://10.0.0.1:6443 (context prod)`.
    public var description: String {
        let location = Self.redactingUserInfo(server)
        guard let contextName else { return location }
        return "\(location) (context \(contextName))"
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["summary": description]) }

    /// `url` with any `user:password@` removed.
    static func redactingUserInfo(_ url: String) -> String {
        CurlURL.withoutCredentials(url)
    }
}
