/// An error from GitSource: a stable code to branch on and a message for people.
///
/// Messages never contain credentials: URLs are redacted where the error is built.
public struct GitSourceError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        public var description: String { raw }

        /// The server refused the credentials, or asked for some and none were given.
        public static let authentication = Code(raw: "authentication")
        /// The repository, ref, tag or commit does not exist.
        public static let notFound = Code(raw: "notFound")
        /// The server could not be reached, or the connection broke.
        public static let network = Code(raw: "network")
        /// The operation exceeded its deadline.
        public static let timeout = Code(raw: "timeout")
        /// The operation was cancelled by the caller.
        public static let cancelled = Code(raw: "cancelled")
        /// A TLS certificate or an SSH host key was not trusted.
        public static let untrusted = Code(raw: "untrusted")
        /// The caller's input (URL, ref spec, path) is invalid.
        public static let invalidInput = Code(raw: "invalidInput")
        /// A file is over the size limit, or a symlink points outside the repository.
        public static let refused = Code(raw: "refused")
        /// A commit or tag that must be signed is not, or its signature is bad or made by a key
        /// that is not trusted (``SignatureVerification``).
        public static let unverified = Code(raw: "unverified")
        /// The server answered something that is not the Git protocol.
        public static let protocolError = Code(raw: "protocol")
        /// Any other libgit2 or local failure.
        public static let other = Code(raw: "other")
    }

    /// The kind of failure.
    public var code: Code
    /// What failed and, where possible, what to do about it.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Whether retrying later may succeed (network trouble, timeouts) rather than needing a person.
    public var isTransient: Bool {
        code == .network || code == .timeout
    }
}
