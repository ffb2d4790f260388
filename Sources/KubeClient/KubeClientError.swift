import KubeModel

/// A failed request to the Kubernetes API, typed by what went wrong. Messages name the object
/// and never contain tokens, passwords or keys.
public struct KubeClientError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public static let notFound = Code(name: "notFound")
        public static let alreadyExists = Code(name: "alreadyExists")
        public static let conflict = Code(name: "conflict")
        public static let invalid = Code(name: "invalid")
        public static let badRequest = Code(name: "badRequest")
        public static let forbidden = Code(name: "forbidden")
        public static let unauthorized = Code(name: "unauthorized")
        public static let gone = Code(name: "gone")
        public static let tooManyRequests = Code(name: "tooManyRequests")
        public static let timeout = Code(name: "timeout")
        public static let serverError = Code(name: "serverError")
        public static let unreachable = Code(name: "unreachable")
        public static let tls = Code(name: "tls")
        public static let cancelled = Code(name: "cancelled")
        public static let notServed = Code(name: "notServed")
        public static let configuration = Code(name: "configuration")
        public static let other = Code(name: "other")
        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// The server's `Status`, when it sent one (with `details.causes` for `Invalid`).
    public var status: APIStatus?

    public init(_ code: Code, _ message: String, status: APIStatus? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var description: String { message }

    /// Whether the request may succeed if simply tried again later (Flux's "transient").
    public var isTransient: Bool {
        [.tooManyRequests, .timeout, .serverError, .unreachable].contains(code)
    }

    /// The error for an HTTP status and its body, naming `object` (e.g. `deployments.apps "web" in namespace "shop"`).
    static func from(statusCode: Int, body: [UInt8], object: String) -> KubeClientError {
        let status = (try? JSONValue.parse(body)).flatMap(APIStatus.init(json:))
        let serverMessage = status?.message ?? String(decoding: body.prefix(300), as: UTF8.self)
        let code: Code
        switch (statusCode, status?.reason) {
        case (404, _): code = .notFound
        case (409, "AlreadyExists"): code = .alreadyExists
        case (409, _): code = .conflict
        case (422, _): code = .invalid
        // Server-side apply types the applied configuration before it merges: an undeclared field or a
        // wrong type is answered 500, but it is the object that is wrong, not the server.
        case (500, _) where serverMessage.hasPrefix("failed to create typed patch object"): code = .invalid
        case (400, _): code = .badRequest
        case (401, _): code = .unauthorized
        case (403, _): code = .forbidden
        case (410, _): code = .gone
        case (429, _): code = .tooManyRequests
        case (504, _), (408, _): code = .timeout
        case (500..., _): code = .serverError
        default: code = .other
        }
        let text = serverMessage.isEmpty ? "HTTP \(statusCode)" : serverMessage
        return KubeClientError(code, "\(object): \(text)", status: status)
    }
}
