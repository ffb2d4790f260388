extension FieldSet {
    /// The fields an applied configuration sets, as structured-merge-diff's `ToFieldSet` finds
    /// them: every leaf, every keyed or set list element (keyed elements also own `"."`), every
    /// atomic list or map, every empty map. Maps passed through are not members, and neither is a
    /// non-atomic list that is empty.
    public init(configuration: JSONValue, schema: ListSchema) {
        var paths: Set<FieldPath> = []
        ObjectFields.collectMembers(of: configuration, at: .root, schemaPath: [], schema: schema, into: &paths)
        self.init(paths)
    }
}

/// Walks over objects shared by apply, update and pruning: how list elements are named, which maps
/// are atomic, and the comparison of two versions of an object.
enum ObjectFields {
    /// A list's elements named by their path elements, first occurrence kept.
    struct ListItems {
        var order: [PathElement] = []
        var values: [PathElement: JSONValue] = [:]

        init(_ elements: [JSONValue], type: ListType) {
            for (position, element) in elements.enumerated() {
                let name = ObjectFields.element(element, at: position, type: type)
                if values[name] == nil {
                    values[name] = element
                    order.append(name)
                }
            }
        }
    }

    /// The path element naming a list element: its key fields for a keyed list (a missing key
    /// takes ``ListSchema/defaultKeyValue(_:)``), itself for a set.
    static func element(_ element: JSONValue, at position: Int, type: ListType) -> PathElement {
        switch type {
        case .map(let keys):
            guard let members = element.objectValue else { return .value(element) }
            var key: [String: JSONValue] = [:]
            for name in keys {
                if let value = members[name] ?? ListSchema.defaultKeyValue(name) { key[name] = value }
            }
            return key.isEmpty ? .index(position) : .key(key)
        case .set, .atomic:
            return .value(element)
        }
    }

    /// Label selectors (`matchLabels`/`matchExpressions`) are atomic maps in the Kubernetes API:
    /// owned, compared and replaced as one value.
    static func isAtomicMap(_ value: JSONValue?) -> Bool {
        guard let members = value?.objectValue else { return false }
        return members["matchLabels"] != nil || members["matchExpressions"] != nil
    }

    static func collectMembers(
        of object: JSONValue, at path: FieldPath, schemaPath: [String], schema: ListSchema, into paths: inout Set<FieldPath>
    ) {
        guard let members = object.objectValue else { return }
        for (name, value) in members {
            collect(value, at: path.appending(.field(name)), schemaPath: schemaPath + [name], schema: schema, into: &paths)
        }
    }

    private static func collect(
        _ value: JSONValue, at path: FieldPath, schemaPath: [String], schema: ListSchema, into paths: inout Set<FieldPath>
    ) {
        switch value {
        case .object(let members):
            if members.isEmpty || isAtomicMap(value) {
                paths.insert(path)
            } else {
                collectMembers(of: value, at: path, schemaPath: schemaPath, schema: schema, into: &paths)
            }
        case .array(let elements):
            let type = schema.listType(at: schemaPath)
            if case .atomic = type {
                paths.insert(path)
                return
            }
            let items = ListItems(elements, type: type)
            for name in items.order {
                let itemPath = path.appending(name)
                paths.insert(itemPath)
                if case .key = name, let item = items.values[name] {
                    collectMembers(of: item, at: itemPath, schemaPath: schemaPath, schema: schema, into: &paths)
                }
            }
        default:
            paths.insert(path)
        }
    }
}

/// What changed between two versions of an object, as structured-merge-diff's `Compare` reports
/// it: leaves added, modified or removed, and maps, lists and list elements added or removed whole.
struct ObjectComparison {
    var added: Set<FieldPath> = []
    var modified: Set<FieldPath> = []
    var removed: Set<FieldPath> = []
    /// Added map fields that look like structs (they hold maps or lists) and the `containers`
    /// list. Kubernetes' typed objects always carry these, so an Update never adds them as a whole;
    /// leaving them out makes Update entries read like a real API server's.
    var addedStructs: Set<FieldPath> = []

    /// Added or modified: what a writer takes ownership of.
    var changed: FieldSet { FieldSet(added.union(modified)) }

    init() {}

    /// Compares `old` with `new` (either may be missing).
    init(old: JSONValue?, new: JSONValue?, schema: ListSchema) {
        compare(old, new, at: .root, schemaPath: [], schema: schema)
    }

    private enum Shape: Equatable {
        case leaf, map, list(ListType), mismatch
    }

    private mutating func compare(_ old: JSONValue?, _ new: JSONValue?, at path: FieldPath, schemaPath: [String], schema: ListSchema) {
        guard old != nil || new != nil else { return }
        switch Self.shape(old, new, schemaPath: schemaPath, schema: schema) {
        case .leaf:
            if old == nil {
                added.insert(path)
            } else if new == nil {
                removed.insert(path)
            } else if let old, let new, !Self.same(old, new) {
                modified.insert(path)
            }
            return
        case .mismatch:
            // A map became a scalar or the like: what was below is gone, what is below now is new.
            var parts = ObjectComparison()
            parts.compare(old, nil, at: path, schemaPath: schemaPath, schema: schema)
            parts.compare(nil, new, at: path, schemaPath: schemaPath, schema: schema)
            added.formUnion(parts.added.subtracting([path]))
            removed.formUnion(parts.removed.subtracting([path]))
            addedStructs.formUnion(parts.addedStructs.subtracting([path]))
            modified.formUnion(parts.modified)
            modified.insert(path)
            return
        case .map:
            let oldMembers = old?.objectValue ?? [:]
            let newMembers = new?.objectValue ?? [:]
            for name in Set(oldMembers.keys).union(newMembers.keys) {
                compare(oldMembers[name], newMembers[name], at: path.appending(.field(name)), schemaPath: schemaPath + [name], schema: schema)
            }
        case .list(let type):
            let oldItems = ObjectFields.ListItems(old?.arrayValue ?? [], type: type)
            let newItems = ObjectFields.ListItems(new?.arrayValue ?? [], type: type)
            for name in oldItems.order + newItems.order.filter({ oldItems.values[$0] == nil }) {
                compare(oldItems.values[name], newItems.values[name], at: path.appending(name), schemaPath: schemaPath, schema: schema)
            }
        }
        guard !path.isEmpty else { return }
        if old == nil {
            added.insert(path)
            if let new, Self.isStructLike(new, at: path) { addedStructs.insert(path) }
        } else if new == nil {
            removed.insert(path)
        }
    }

    private static func shape(_ old: JSONValue?, _ new: JSONValue?, schemaPath: [String], schema: ListSchema) -> Shape {
        let values = [old, new].compactMap { $0 }
        if values.allSatisfy({ $0.objectValue != nil }) {
            if values.contains(where: ObjectFields.isAtomicMap) { return .leaf }
            return values.allSatisfy({ $0.objectValue?.isEmpty == true }) ? .leaf : .map
        }
        if values.allSatisfy({ $0.arrayValue != nil }) {
            let type = schema.listType(at: schemaPath)
            if case .atomic = type { return .leaf }
            return values.allSatisfy({ $0.arrayValue?.isEmpty == true }) ? .leaf : .list(type)
        }
        if values.contains(where: { $0.objectValue != nil || $0.arrayValue != nil }) { return .mismatch }
        return .leaf
    }

    private static func isStructLike(_ value: JSONValue, at path: FieldPath) -> Bool {
        guard case .field(let name)? = path.elements.last else { return false }
        switch value {
        case .object(let members):
            return members.values.contains { $0.objectValue != nil || $0.arrayValue != nil }
        case .array:
            return name == "containers"
        default:
            return false
        }
    }

    /// Equal values; `3` and `3.0` are the same number.
    static func same(_ left: JSONValue, _ right: JSONValue) -> Bool {
        if left == right { return true }
        switch (left, right) {
        case (.int, .double), (.double, .int): return left.doubleValue == right.doubleValue
        default: return false
        }
    }
}
