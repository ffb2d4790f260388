/// A patch that could not be applied: a malformed patch document, a JSON Patch operation whose path
/// is missing or whose `test` failed, or a strategic merge patch that breaks its own rules.
///
/// Messages follow the API server's wording so that `kubectl` users see what they would see against
/// a real cluster; ``status`` is the `Status` the API server answers with.
public struct PatchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is, which decides the HTTP status of the answer.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// A short name for logs.
        public var name: String
        /// The HTTP status code the API server answers with.
        public var httpStatus: Int

        /// A code with its name and the HTTP status it answers with.
        public init(name: String, httpStatus: Int) {
            self.name = name
            self.httpStatus = httpStatus
        }

        /// The patch document itself is malformed (not a JSON Patch array, a directive with the
        /// wrong shape): 400 Bad Request.
        public static let malformedPatch = Code(name: "malformedPatch", httpStatus: 400)
        /// The patch is well formed but does not apply to this object (a missing path, an index out
        /// of bounds, a failed `test`): 422 Invalid.
        public static let doesNotApply = Code(name: "doesNotApply", httpStatus: 422)
        /// A strategic merge patch the merge could not carry out (a list element without its merge
        /// key, an unknown `$patch` directive). The API server reports these as a 500 without a
        /// reason, with the merge error as the message.
        public static let mergeFailed = Code(name: "mergeFailed", httpStatus: 500)

        /// The name.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What failed, in the API server's words (`doc is missing path: /spec/foo`).
    public var message: String

    /// An error of the given kind with its message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }

    /// The `Status` the API server answers a failed PATCH with.
    ///
    /// A patch that does not apply gets the generic 422 message with the detail in
    /// `details.causes`, as `kubectl` shows it ("The request is invalid: the server rejected our
    /// request due to an error in our request").
    public var status: APIStatus {
        switch code.httpStatus {
        case 400:
            return .badRequest(message)
        case 422:
            return APIStatus(
                reason: "Invalid", code: 422,
                message: "the server rejected our request due to an error in our request",
                details: APIStatus.Details(causes: [
                    APIStatus.Cause(reason: "UnexpectedServerResponse", message: message, field: "")
                ]))
        default:
            return APIStatus(reason: "", code: code.httpStatus, message: message)
        }
    }
}

extension PatchError {
    static func malformed(_ message: String) -> PatchError { PatchError(.malformedPatch, message) }
    static func doesNotApply(_ message: String) -> PatchError { PatchError(.doesNotApply, message) }
    static func mergeFailed(_ message: String) -> PatchError { PatchError(.mergeFailed, message) }
}
