/// Accessors for the parts of a Kubernetes object every kind shares: `apiVersion`, `kind` and
/// `metadata`. An object is a ``JSONValue`` object; these read and write it in place.
extension JSONValue {
    /// `apiVersion`.
    public var apiVersion: String? {
        get { self["apiVersion"]?.stringValue }
        set { self["apiVersion"] = newValue.map(JSONValue.string) }
    }

    /// `kind`.
    public var kind: String? {
        get { self["kind"]?.stringValue }
        set { self["kind"] = newValue.map(JSONValue.string) }
    }

    /// The group, version and kind, when `apiVersion` and `kind` are both present and well formed.
    public var groupVersionKind: GroupVersionKind? {
        guard let apiVersion, let kind, !kind.isEmpty, let groupVersion = GroupVersion(apiVersion: apiVersion) else {
            return nil
        }
        return GroupVersionKind(group: groupVersion.group, version: groupVersion.version, kind: kind)
    }

    /// `metadata`, an empty object when missing.
    public var metadata: JSONValue {
        get { self["metadata"] ?? .emptyObject }
        set { self["metadata"] = newValue }
    }

    /// `metadata.name`.
    public var name: String? {
        get { self[path: ["metadata", "name"]]?.stringValue }
        set { self[path: ["metadata", "name"]] = newValue.map(JSONValue.string) }
    }

    /// `metadata.generateName`.
    public var generateName: String? {
        get { self[path: ["metadata", "generateName"]]?.stringValue }
        set { self[path: ["metadata", "generateName"]] = newValue.map(JSONValue.string) }
    }

    /// `metadata.namespace`.
    public var namespace: String? {
        get { self[path: ["metadata", "namespace"]]?.stringValue }
        set { self[path: ["metadata", "namespace"]] = newValue.map(JSONValue.string) }
    }

    /// `metadata.uid`.
    public var uid: String? {
        get { self[path: ["metadata", "uid"]]?.stringValue }
        set { self[path: ["metadata", "uid"]] = newValue.map(JSONValue.string) }
    }

    /// `metadata.resourceVersion`.
    public var resourceVersion: String? {
        get { self[path: ["metadata", "resourceVersion"]]?.stringValue }
        set { self[path: ["metadata", "resourceVersion"]] = newValue.map(JSONValue.string) }
    }

    /// `metadata.generation`.
    public var generation: Int64? {
        get { self[path: ["metadata", "generation"]]?.intValue }
        set { self[path: ["metadata", "generation"]] = newValue.map(JSONValue.int) }
    }

    /// `metadata.deletionTimestamp`.
    public var deletionTimestamp: String? {
        get { self[path: ["metadata", "deletionTimestamp"]]?.stringValue }
        set { self[path: ["metadata", "deletionTimestamp"]] = newValue.map(JSONValue.string) }
    }

    /// `metadata.labels` as a dictionary of strings (non-string values are skipped).
    public var labels: [String: String] {
        get { Self.stringMap(self[path: ["metadata", "labels"]]) }
        set { self[path: ["metadata", "labels"]] = newValue.isEmpty ? nil : .object(newValue.mapValues(JSONValue.string)) }
    }

    /// `metadata.annotations` as a dictionary of strings.
    public var annotations: [String: String] {
        get { Self.stringMap(self[path: ["metadata", "annotations"]]) }
        set { self[path: ["metadata", "annotations"]] = newValue.isEmpty ? nil : .object(newValue.mapValues(JSONValue.string)) }
    }

    /// `metadata.finalizers`.
    public var finalizers: [String] {
        get { self[path: ["metadata", "finalizers"]]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        set { self[path: ["metadata", "finalizers"]] = newValue.isEmpty ? nil : .array(newValue.map(JSONValue.string)) }
    }

    /// `metadata.ownerReferences`.
    public var ownerReferences: [OwnerReference] {
        get { self[path: ["metadata", "ownerReferences"]]?.arrayValue?.compactMap(OwnerReference.init(json:)) ?? [] }
        set { self[path: ["metadata", "ownerReferences"]] = newValue.isEmpty ? nil : .array(newValue.map(\.json)) }
    }

    private static func stringMap(_ value: JSONValue?) -> [String: String] {
        guard let members = value?.objectValue else { return [:] }
        var result: [String: String] = [:]
        for (key, value) in members {
            if let text = value.stringValue { result[key] = text }
        }
        return result
    }
}

/// One entry of `metadata.ownerReferences`.
public struct OwnerReference: Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool
    public var blockOwnerDeletion: Bool

    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool = false, blockOwnerDeletion: Bool = false) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }

    /// Reads an owner reference; `nil` when a required field is missing.
    public init?(json: JSONValue) {
        guard let apiVersion = json["apiVersion"]?.stringValue, let kind = json["kind"]?.stringValue,
            let name = json["name"]?.stringValue, let uid = json["uid"]?.stringValue
        else { return nil }
        self.init(
            apiVersion: apiVersion, kind: kind, name: name, uid: uid,
            controller: json["controller"]?.boolValue ?? false,
            blockOwnerDeletion: json["blockOwnerDeletion"]?.boolValue ?? false)
    }

    /// The JSON form.
    public var json: JSONValue {
        var value: JSONValue = ["apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(name), "uid": .string(uid)]
        if controller { value["controller"] = true }
        if blockOwnerDeletion { value["blockOwnerDeletion"] = true }
        return value
    }
}
