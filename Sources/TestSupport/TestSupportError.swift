import Foundation

/// The one error type thrown by the test fixtures.
///
/// A struct with a code and a message, so new failure kinds do not break callers; the message
/// says what failed and, where it helps, what was printed.
public struct TestSupportError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// A command exited with a non-zero status (or was killed).
        public static let commandFailed = Code(name: "commandFailed")
        /// A command ran longer than its timeout and was killed.
        public static let timedOut = Code(name: "timedOut")
        /// A condition was not met before its deadline.
        public static let deadlineExceeded = Code(name: "deadlineExceeded")
        /// A server did not start, or exited while starting.
        public static let serverFailed = Code(name: "serverFailed")
        /// A tool or file the fixture needs could not be found.
        public static let notFound = Code(name: "notFound")
        /// A system call failed.
        public static let systemCall = Code(name: "systemCall")
        /// An argument was out of range.
        public static let invalidArgument = Code(name: "invalidArgument")
        /// The name of the code.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable explanation.
    public var message: String

    /// Creates an error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
