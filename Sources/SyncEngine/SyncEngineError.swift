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
        /// The application's path does not exist at the revision. Stalled: fix the path or the commit.
        public static let pathNotFound = Code("pathNotFound")
        /// The source's content was refused (a symlink out of the repository, a file or tree over the
        /// limits). Stalled: fix the commit.
        public static let sourceRefused = Code("sourceRefused")
        /// The revision (or its tag) is not signed by a trusted key, or a commit since the last
        /// applied one is not (the delivery layer verifies signatures before a sync). Stalled: a properly signed
        /// commit, or new trusted keys, clears it.
        public static let signatureRefused = Code("signatureRefused")
        /// The revision's manifests could not be loaded (a YAML error, a missing field, a bad
        /// annotation). Stalled: the commit must be fixed.
        public static let invalidManifests = Code("invalidManifests")
        /// The server rejected an object in the dry run, before anything was applied. Stalled.
        public static let validationFailed = Code("validationFailed")
        /// An object of the revision is tracked by another application and does not carry
        /// `sluice.dev/allow-shared: "true"`; nothing was applied. Stalled: a person decides which
        /// application owns it.
        public static let sharedObject = Code("sharedObject")
        /// The server rejected an object while it was being applied.
        public static let applyFailed = Code("applyFailed")
        /// A hook failed or ran over its timeout.
        public static let hookFailed = Code("hookFailed")
        /// An object did not become healthy (Degraded, or still progressing at the health timeout).
        public static let unhealthy = Code("unhealthy")
        /// A wait or the whole sync ran over its time limit.
        public static let timeout = Code("timeout")
        /// Pruning an object failed or it was not gone in time.
        public static let pruneFailed = Code("pruneFailed")
        /// The cluster could not be reached or refused the credentials. Transient unless it is a 401/403.
        public static let cluster = Code("cluster")
        /// The sync was cancelled (the agent is stopping, or a newer commit superseded it).
        public static let cancelled = Code("cancelled")

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
