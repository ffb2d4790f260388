/// Why the sync engine refused or failed to do something: a code to branch on and a message that says
/// what failed and what to do about it.
public struct SyncEngineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is. A struct rather than an enum, so new codes do not break callers
    /// that switch over the ones they know.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's name, as logs and the ledger show it.
        public var name: String

        /// A code with this name.
        public init(_ name: String) {
            self.name = name
        }

        /// The new revision would prune every object the application owns, and `--allow-empty` was
        /// not given. A sync stalls on it: a person must look (a wrong path, an emptied directory).
        public static let emptyRevision = Code("emptyRevision")

        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What failed and what to do.
    public var message: String

    /// An error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `CODE: MESSAGE`.
    public var description: String { "\(code): \(message)" }
}
