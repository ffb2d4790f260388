import Foundation

extension ClusterConnection {
    /// What to present on a request right now: the `Authorization` header and the client
    /// certificate, with tokens re-read from files and exec plugins run as needed.
    ///
    /// Prints which parts are present, never their values.
    public struct RequestAuthentication: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
        CustomReflectable
    {
        /// The whole `Authorization` header value (`Bearer …` or `Basic …`), or nil.
        public var authorization: String?
        /// The client certificate, PEM: an exec plugin's when it returned one, otherwise the
        /// kubeconfig's.
        public var clientCertificatePEM: String?
        /// The client certificate's key, PEM.
        public var clientKeyPEM: String?

        /// Creates a value; everything is optional.
        public init(authorization: String? = nil, clientCertificatePEM: String? = nil, clientKeyPEM: String? = nil) {
            self.authorization = authorization
            self.clientCertificatePEM = clientCertificatePEM
            self.clientKeyPEM = clientKeyPEM
        }

        /// `RequestAuthentication(Bearer, client certificate)`.
        public var description: String {
            var parts: [String] = []
            if let authorization { parts.append(String(authorization.prefix { $0 != " " })) }
            if clientCertificatePEM != nil { parts.append("client certificate") }
            return "RequestAuthentication(\(parts.isEmpty ? "anonymous" : parts.joined(separator: ", ")))"
        }

        public var debugDescription: String { description }
        public var customMirror: Mirror { Mirror(self, children: ["summary": description]) }
    }

    /// The bearer token to send now, if the credentials use one (see
    /// ``TokenSource/currentToken()``).
    public func currentToken() async throws(KubeConfigError) -> String? {
        guard case .token(let source) = credentials else { return nil }
        return try await source.currentToken()
    }

    /// The header and client certificate to present now. Call it per request (it is cheap
    /// while nothing changed): a rotated token file or a refreshed exec credential shows up
    /// here, and an exec plugin's client certificate replaces ``TLS/clientCertificatePEM``.
    public func requestAuthentication() async throws(KubeConfigError) -> RequestAuthentication {
        var result = RequestAuthentication(clientCertificatePEM: tls.clientCertificatePEM, clientKeyPEM: tls.clientKeyPEM)
        switch credentials {
        case .none:
            break
        case .basic(let username, let password):
            result.authorization = "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        case .token(.exec(let plugin)):
            let credential = try await plugin.credential()
            if let token = credential.token { result.authorization = "Bearer \(token)" }
            if let certificate = credential.clientCertificatePEM, let key = credential.clientKeyPEM {
                result.clientCertificatePEM = certificate
                result.clientKeyPEM = key
            }
        case .token(let source):
            if let token = try await source.currentToken() { result.authorization = "Bearer \(token)" }
        }
        return result
    }

    /// Tells the credentials the server answered 401 to a request made with `authentication`,
    /// so the next ``requestAuthentication()`` re-reads the token file or re-runs the exec
    /// plugin. Returns true when retrying may help (the credentials can be refreshed).
    @discardableResult
    public func credentialsRejected(_ authentication: RequestAuthentication? = nil) -> Bool {
        guard case .token(let source) = credentials else { return false }
        if case .literal = source { return false }
        let header = authentication?.authorization
        let token = header.flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        source.invalidate(rejected: token)
        return true
    }
}
