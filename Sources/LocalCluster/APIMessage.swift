import KubeModel

/// A request to the cluster's API, independent of the HTTP server that received it.
struct APIRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var contentType: String
    var accept: String
    var userAgent: String
    var body: [UInt8]

    func flag(_ name: String) -> Bool {
        guard let value = query[name] else { return false }
        return value == "true" || value == "1" || value.isEmpty
    }

    /// `dryRun=All` (the only value Kubernetes accepts).
    var isDryRun: Bool { query["dryRun"] == "All" }
}

/// The cluster's answer: a JSON document, plain text, or a stream of watch events.
struct APIResponse: Sendable {
    enum Body: Sendable {
        case bytes([UInt8])
        case stream(AsyncStream<[UInt8]>)
    }

    var status: Int
    var contentType: String
    var body: Body
    /// `Warning` headers (RFC 7234 code 299), one per warning, as the API server sends them.
    var warnings: [String] = []

    static func json(_ value: JSONValue, status: Int = 200, warnings: [String] = []) -> APIResponse {
        APIResponse(status: status, contentType: "application/json", body: .bytes(value.serializedBytes()), warnings: warnings)
    }

    static func text(_ text: String, status: Int = 200) -> APIResponse {
        APIResponse(status: status, contentType: "text/plain; charset=utf-8", body: .bytes(Array(text.utf8)))
    }

    static func error(_ status: APIStatus) -> APIResponse {
        json(status.json, status: status.code)
    }
}
