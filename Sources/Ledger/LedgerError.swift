/// Why a ledger operation failed.
///
/// Every error names the ledger file, so an operator can see which state directory is at fault
/// (read-only, full disk, corrupt file) without reading logs. A write that fails is thrown to the
/// caller rather than dropped: a sync must fail loudly instead of running unrecorded.
public struct LedgerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure; new codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The ledger file could not be opened, created or migrated.
        public static let cannotOpen = Code("cannotOpen")
        /// A write to the ledger failed (read-only file, full disk, I/O error, ...).
        public static let writeFailed = Code("writeFailed")
        /// A read from the ledger failed.
        public static let readFailed = Code("readFailed")
        /// The asked-for attempt, task or revision is not in the ledger.
        public static let notFound = Code("notFound")
        /// An abbreviated revision matches more than one revision (or application).
        public static let ambiguous = Code("ambiguous")
        /// An argument is malformed: a revision that is not hex, an outcome that cannot end an attempt, ...
        public static let invalidArgument = Code("invalidArgument")
        /// Stored manifests do not decompress, or do not match their SHA-256.
        public static let corrupt = Code("corrupt")

        /// The code's name.
        public var description: String { name }
    }

    /// The kind of failure.
    public let code: Code
    /// What failed, naming the ledger file, and what to do about it.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The code and the message.
    public var description: String { "\(code): \(message)" }
}
