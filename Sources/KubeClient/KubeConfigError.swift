/// An error finding or reading cluster configuration: a kubeconfig file, the in-cluster service
/// account, or an exec credential plugin.
///
/// Messages name the file and the field that is wrong, the way people find it in their editor,
/// e.g. `/home/u/.kube/config: contexts[2].context.cluster: cluster "prod" not found`. They never
/// contain tokens, passwords, private keys or a plugin's arguments and environment.
public struct KubeConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        public var description: String { raw }

        /// No kubeconfig file, or no service account environment, was found.
        public static let notFound = Code(raw: "notFound")
        /// A file is not valid YAML, or a field has the wrong type or an unusable value.
        public static let invalid = Code(raw: "invalid")
        /// No context was chosen, or the chosen context does not exist.
        public static let missingContext = Code(raw: "missingContext")
        /// A context names a cluster that does not exist, or names none.
        public static let missingCluster = Code(raw: "missingCluster")
        /// A context names a user that does not exist.
        public static let missingUser = Code(raw: "missingUser")
        /// An exec credential plugin could not be run, failed, or printed something unusable.
        public static let exec = Code(raw: "exec")
        /// A file the configuration refers to (certificate, key, token) could not be read.
        public static let io = Code(raw: "io")
    }

    /// The kind of failure.
    public var code: Code
    /// What failed, naming the file and field, and where possible what to do about it.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Creates an error about `field` (a path such as `clusters[0].cluster.server`) of `file`.
    public init(_ code: Code, file: String, field: String, _ problem: String) {
        self.init(code, "\(file): \(field): \(problem)")
    }

    public var description: String { message }
}
