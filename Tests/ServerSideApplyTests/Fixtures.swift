import KubeModel
import Testing

/// Objects and shortcuts the server-side apply tests share.
enum Fixture {
    static let firstTime = "2024-05-01T10:00:00Z"
    static let laterTime = "2024-05-01T11:00:00Z"

    /// Parses JSON written in a test.
    static func json(_ text: String) throws -> JSONValue {
        try JSONValue.parse(text)
    }

    /// A Deployment configuration with one container, as a user would apply it.
    static func deployment(replicas: Int64 = 3, labels: [String: String] = ["app": "web"], image: String = "nginx:1.25") -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "web", "namespace": "default", "labels": .object(labels.mapValues(JSONValue.string))],
            "spec": [
                "replicas": .int(replicas),
                "selector": ["matchLabels": ["app": "web"]],
                "template": [
                    "metadata": ["labels": ["app": "web"]],
                    "spec": ["containers": [["name": "web", "image": .string(image)]]],
                ],
            ],
        ]
    }

    /// A minimal ConfigMap configuration.
    static func configMap(data: [String: String], labels: [String: String] = [:]) -> JSONValue {
        var object: JSONValue = [
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "settings", "namespace": "default"],
            "data": .object(data.mapValues(JSONValue.string)),
        ]
        if !labels.isEmpty { object[path: ["metadata", "labels"]] = .object(labels.mapValues(JSONValue.string)) }
        return object
    }

    /// Applies and returns the result, failing the test on a thrown status.
    static func apply(
        _ applied: JSONValue, to live: JSONValue?, as manager: String, force: Bool = false, time: String = firstTime
    ) throws -> JSONValue {
        try ServerSideApply.apply(live: live, applied: applied, manager: manager, force: force, schema: .builtin, time: time)
    }

    /// The status an apply throws, or `nil` when it succeeds.
    static func applyError(_ applied: JSONValue, to live: JSONValue?, as manager: String) -> APIStatus? {
        do {
            _ = try ServerSideApply.apply(live: live, applied: applied, manager: manager, force: false, schema: .builtin, time: laterTime)
            return nil
        } catch {
            return error
        }
    }

    /// The entry of `manager` with `operation` in `object`'s managed fields.
    static func entry(_ object: JSONValue, _ manager: String, _ operation: ManagedFieldsEntry.Operation = .apply) throws -> ManagedFieldsEntry? {
        try object.managedFieldsEntries().first { $0.manager == manager && $0.operation == operation }
    }

    /// The fields `manager` owns through `operation` (empty when it has no entry).
    static func fields(_ object: JSONValue, _ manager: String, _ operation: ManagedFieldsEntry.Operation = .apply) throws -> FieldSet {
        try entry(object, manager, operation)?.fields ?? FieldSet()
    }

    /// `object` without `metadata.managedFields`.
    static func content(_ object: JSONValue) -> JSONValue {
        var copy = object
        copy[path: ["metadata", "managedFields"]] = nil
        return copy
    }

    static let replicas: FieldPath = ["spec", "replicas"]
    static func container(_ name: String) -> FieldPath {
        ["spec", "template", "spec", "containers", .key(["name": .string(name)])]
    }
}
