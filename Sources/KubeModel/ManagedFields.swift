/// One entry of `metadata.managedFields`: the fields one manager owns through one kind of write.
///
/// ```yaml
/// - manager: kubectl
///   operation: Apply
///   apiVersion: apps/v1
///   time: "2024-05-01T10:00:00Z"
///   fieldsType: FieldsV1
///   fieldsV1: {"f:spec": {"f:replicas": {}}}
/// ```
public struct ManagedFieldsEntry: Sendable, Hashable {
    /// How the manager wrote its fields.
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        /// Server-side apply: the fields are the manager's configuration, pruned when it drops them.
        case apply = "Apply"
        /// Any other write (create, update, patch): the fields it changed.
        case update = "Update"
    }

    /// The field manager's name (`kubectl`, `kubectl-client-side-apply`, `sluice`).
    public var manager: String
    /// `Apply` or `Update`.
    public var operation: Operation
    /// The `apiVersion` the manager wrote in.
    public var apiVersion: String
    /// When the manager last changed the object, RFC 3339; may be missing in entries a client wrote.
    public var time: String?
    /// The owned fields.
    public var fields: FieldSet
    /// The subresource written through (`status`); empty for the main resource.
    public var subresource: String

    /// An entry with these values; `subresource` is empty for the main resource.
    public init(
        manager: String, operation: Operation, apiVersion: String, time: String? = nil, fields: FieldSet, subresource: String = ""
    ) {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
        self.fields = fields
        self.subresource = subresource
    }

    /// Reads one entry. Throws a 400 `BadRequest` for an unknown operation or fieldsType, or a
    /// malformed `fieldsV1`.
    public init(json: JSONValue) throws(APIStatus) {
        guard json.objectValue != nil else {
            throw APIStatus.badRequest("error decoding managed fields: an entry is a \(json.typeName), not an object")
        }
        let operationText = json["operation"]?.stringValue ?? ""
        guard let operation = Operation(rawValue: operationText) else {
            throw APIStatus.badRequest("error decoding managed fields: unsupported operation \(JSONValue.string(operationText))")
        }
        let fieldsType = json["fieldsType"]?.stringValue ?? ""
        guard fieldsType == "FieldsV1" else {
            throw APIStatus.badRequest("error decoding managed fields: unsupported fieldsType \(JSONValue.string(fieldsType))")
        }
        self.init(
            manager: json["manager"]?.stringValue ?? "", operation: operation, apiVersion: json["apiVersion"]?.stringValue ?? "",
            time: json["time"]?.stringValue, fields: try FieldSet(fieldsV1: json["fieldsV1"] ?? .emptyObject),
            subresource: json["subresource"]?.stringValue ?? "")
    }

    /// The entry's JSON, as the API server returns it.
    public var json: JSONValue {
        var value: JSONValue = [
            "manager": .string(manager), "operation": .string(operation.rawValue), "apiVersion": .string(apiVersion),
            "fieldsType": "FieldsV1", "fieldsV1": fields.fieldsV1,
        ]
        if let time { value["time"] = .string(time) }
        if !subresource.isEmpty { value["subresource"] = .string(subresource) }
        return value
    }

    /// Whether `other` is the same manager's entry, as Kubernetes identifies managers: the same
    /// name, operation and subresource, and for an Update also the same apiVersion.
    public func isSameManager(as other: ManagedFieldsEntry) -> Bool {
        manager == other.manager && operation == other.operation && subresource == other.subresource
            && (operation == .apply || apiVersion == other.apiVersion)
    }

    /// The manager as Kubernetes names it in conflicts: `"kubectl"`, or for an Update
    /// `"kubectl-client-side-apply" using apps/v1`, with `with subresource "status"` when it wrote one.
    public var conflictName: String {
        var name = JSONValue.string(manager).serialized()
        if !subresource.isEmpty { name += " with subresource \(JSONValue.string(subresource).serialized())" }
        if operation == .update { name += " using \(apiVersion)" }
        return name
    }

    /// The order the API server stores entries in: Apply before Update, then by time, manager,
    /// apiVersion and subresource.
    public static func storageOrder(_ left: ManagedFieldsEntry, _ right: ManagedFieldsEntry) -> Bool {
        if left.operation != right.operation { return left.operation.rawValue < right.operation.rawValue }
        if left.time != right.time { return (left.time ?? "") < (right.time ?? "") }
        if left.manager != right.manager { return left.manager < right.manager }
        if left.apiVersion != right.apiVersion { return left.apiVersion < right.apiVersion }
        return left.subresource < right.subresource
    }
}

extension JSONValue {
    /// `metadata.managedFields`, read; empty when missing. Throws a 400 `BadRequest` when an entry
    /// cannot be read.
    public func managedFieldsEntries() throws(APIStatus) -> [ManagedFieldsEntry] {
        guard let value = self[path: ["metadata", "managedFields"]], !value.isNull else { return [] }
        guard let entries = value.arrayValue else {
            throw APIStatus.badRequest("error decoding managed fields: metadata.managedFields is a \(value.typeName), not an array")
        }
        var result: [ManagedFieldsEntry] = []
        for entry in entries {
            result.append(try ManagedFieldsEntry(json: entry))
        }
        return result
    }

    /// Sets `metadata.managedFields`: entries owning nothing are dropped, the rest stored in
    /// ``ManagedFieldsEntry/storageOrder(_:_:)``; no entries removes the field.
    public mutating func setManagedFields(_ entries: [ManagedFieldsEntry]) {
        let kept = entries.filter { !$0.fields.isEmpty }.sorted(by: ManagedFieldsEntry.storageOrder)
        if kept.isEmpty && self["metadata"] == nil { return }
        self[path: ["metadata", "managedFields"]] = kept.isEmpty ? nil : .array(kept.map(\.json))
    }

    /// True when `metadata.managedFields` is `[]` or `[{}]`: Kubernetes' way for a client to clear
    /// all managed fields with an update (leaving the field out keeps them).
    var asksToClearManagedFields: Bool {
        guard let entries = self[path: ["metadata", "managedFields"]]?.arrayValue else { return false }
        return entries.isEmpty || (entries.count == 1 && entries[0].objectValue?.isEmpty == true)
    }
}
