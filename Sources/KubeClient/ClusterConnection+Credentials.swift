extension ClusterConnection {
    /// How Sluice authenticates to the API server (besides a client certificate in ``TLS``).
    ///
    /// Prints as the kind of credential only, never its value.
    public enum Credentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        /// No `Authorization` header (client certificates may still be presented).
        case none
        /// A bearer token (`Authorization: Bearer …`).
        case token(TokenSource)
        /// HTTP basic authentication (`username`/`password`).
        case basic(username: String, password: String)

        /// `none`, `token (file /path)`, `basic (user alice)`: never the secret.
        public var description: String {
            switch self {
            case .none: return "none"
            case .token(let source): return "token (\(source))"
            case .basic(let username, _): return "basic (user \(username))"
            }
        }

        public var debugDescription: String { description }
        public var customMirror: Mirror { Mirror(self, children: ["summary": description]) }
    }

    /// Where a bearer token comes from.
    ///
    /// Prints as the kind of source only, never the token.
    public enum TokenSource: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        /// A token written in the kubeconfig (`token`).
        case literal(String)
        /// A token file (`tokenFile`, or the service account's `token`), re-read when it rotates.
        case file(TokenFile)
        /// An exec credential plugin (`exec`), re-run when its credential expires or is rejected.
        case exec(ExecCredentialPlugin)

        /// The token to send now; nil when an exec plugin returned only a client certificate.
        ///
        /// A file is re-read when it changed or a minute has passed; a plugin is run when it has
        /// no unexpired credential. Running a plugin happens off the cooperative thread pool.
        public func currentToken() async throws(KubeConfigError) -> String? {
            switch self {
            case .literal(let token): return token
            case .file(let file): return try file.currentToken()
            case .exec(let plugin): return try await plugin.credential().token
            }
        }

        /// Tells the source that the server rejected `token` (HTTP 401), so the next
        /// ``currentToken()`` fetches a fresh one. A literal token cannot be refreshed.
        ///
        /// - Parameter token: the token that was rejected; when another caller has already
        ///   replaced it, nothing is discarded. Nil discards whatever is cached.
        public func invalidate(rejected token: String? = nil) {
            switch self {
            case .literal: break
            case .file(let file): file.invalidate()
            case .exec(let plugin): plugin.invalidate(rejected: token)
            }
        }

        /// `literal`, `file /path`, `exec command`: never the token.
        public var description: String {
            switch self {
            case .literal: return "literal"
            case .file(let file): return "file \(file.path)"
            case .exec(let plugin): return "exec \(plugin.configuration.command)"
            }
        }

        public var debugDescription: String { description }
        public var customMirror: Mirror { Mirror(self, children: ["summary": description]) }
    }
}
