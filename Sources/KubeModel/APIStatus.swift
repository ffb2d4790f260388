/// A failed API request as Kubernetes reports it: a `Status` object with `reason`, `code`,
/// `message` and `details`. Used by the server to answer and by the client to throw.
public struct APIStatus: Error, Sendable, Hashable, CustomStringConvertible {
    /// The machine-readable reason (`NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, ...).
    public var reason: String
    /// The HTTP status code.
    public var code: Int
    /// The human-readable message.
    public var message: String
    /// `details`: the object's name, group, kind and, for `Invalid`, the causes.
    public var details: Details?

    /// `Status.details`.
    public struct Details: Sendable, Hashable {
        public var name: String?
        public var group: String?
        public var kind: String?
        public var causes: [Cause]
        public var retryAfterSeconds: Int?

        public init(name: String? = nil, group: String? = nil, kind: String? = nil, causes: [Cause] = [], retryAfterSeconds: Int? = nil) {
            self.name = name
            self.group = group
            self.kind = kind
            self.causes = causes
            self.retryAfterSeconds = retryAfterSeconds
        }
    }

    /// One cause of an `Invalid` or `Conflict` status: the field and what is wrong with it.
    public struct Cause: Sendable, Hashable {
        /// `FieldValueInvalid`, `FieldValueRequired`, `FieldValueForbidden`, `FieldManagerConflict`, ...
        public var reason: String
        public var message: String
        /// The field path, e.g. `metadata.name` or `spec.selector`.
        public var field: String

        public init(reason: String, message: String, field: String) {
            self.reason = reason
            self.message = message
            self.field = field
        }
    }

    public init(reason: String, code: Int, message: String, details: Details? = nil) {
        self.reason = reason
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { message }

    /// The `Status` object's JSON.
    public var json: JSONValue {
        var value: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
        ]
        if let details {
            var detailJSON = JSONValue.emptyObject
            if let name = details.name { detailJSON["name"] = .string(name) }
            if let group = details.group { detailJSON["group"] = .string(group) }
            if let kind = details.kind { detailJSON["kind"] = .string(kind) }
            if let retry = details.retryAfterSeconds { detailJSON["retryAfterSeconds"] = .int(Int64(retry)) }
            if !details.causes.isEmpty {
                detailJSON["causes"] = .array(
                    details.causes.map { ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)] })
            }
            value["details"] = detailJSON
        }
        return value
    }

    /// Reads a `Status` body; `nil` when the JSON is not a failure status.
    public init?(json: JSONValue) {
        guard json.kind == "Status", let code = json["code"]?.intValue else { return nil }
        var details: Details?
        if let detailJSON = json["details"], detailJSON.objectValue != nil {
            details = Details(
                name: detailJSON["name"]?.stringValue, group: detailJSON["group"]?.stringValue,
                kind: detailJSON["kind"]?.stringValue,
                causes: detailJSON["causes"]?.arrayValue?.map {
                    Cause(reason: $0["reason"]?.stringValue ?? "", message: $0["message"]?.stringValue ?? "", field: $0["field"]?.stringValue ?? "")
                } ?? [],
                retryAfterSeconds: detailJSON["retryAfterSeconds"]?.intValue.map { Int($0) })
        }
        self.init(
            reason: json["reason"]?.stringValue ?? "", code: Int(code), message: json["message"]?.stringValue ?? "",
            details: details)
    }
}

extension APIStatus {
    /// 404: `resource "name" not found`.
    public static func notFound(_ resource: GroupResource, name: String) -> APIStatus {
        APIStatus(
            reason: "NotFound", code: 404, message: "\(resource) \"\(name)\" not found",
            details: Details(name: name, group: resource.group, kind: resource.resource))
    }

    /// 409: `resource "name" already exists`.
    public static func alreadyExists(_ resource: GroupResource, name: String) -> APIStatus {
        APIStatus(
            reason: "AlreadyExists", code: 409, message: "\(resource) \"\(name)\" already exists",
            details: Details(name: name, group: resource.group, kind: resource.resource))
    }

    /// 409: a stale update.
    public static func conflict(_ resource: GroupResource, name: String, _ reason: String) -> APIStatus {
        APIStatus(
            reason: "Conflict", code: 409,
            message: "Operation cannot be fulfilled on \(resource) \"\(name)\": \(reason)",
            details: Details(name: name, group: resource.group, kind: resource.resource))
    }

    /// 422: the object is invalid, with one cause per field.
    public static func invalid(_ kind: GroupKind, name: String, causes: [Cause]) -> APIStatus {
        let summary = causes.map { "\($0.field): \($0.message)" }.joined(separator: ", ")
        let list = causes.count == 1 ? summary : "[\(summary)]"
        return APIStatus(
            reason: "Invalid", code: 422, message: "\(kind) \"\(name)\" is invalid: \(list)",
            details: Details(name: name, group: kind.group, kind: kind.kind, causes: causes))
    }

    /// 400: the request itself is malformed.
    public static func badRequest(_ message: String) -> APIStatus {
        APIStatus(reason: "BadRequest", code: 400, message: message)
    }

    /// 405.
    public static func methodNotAllowed(_ message: String) -> APIStatus {
        APIStatus(reason: "MethodNotAllowed", code: 405, message: message)
    }

    /// 401.
    public static let unauthorized = APIStatus(reason: "Unauthorized", code: 401, message: "Unauthorized")

    /// 410: a watch or list asked for a resourceVersion that has been compacted away.
    public static func gone(_ message: String) -> APIStatus {
        APIStatus(reason: "Expired", code: 410, message: message)
    }

    /// 415.
    public static func unsupportedMediaType(_ contentType: String) -> APIStatus {
        APIStatus(reason: "UnsupportedMediaType", code: 415, message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got \(contentType))")
    }

    /// 500.
    public static func internalError(_ message: String) -> APIStatus {
        APIStatus(reason: "InternalError", code: 500, message: "Internal error occurred: \(message)")
    }
}
