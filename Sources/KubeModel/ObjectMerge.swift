/// The two object operations of server-side apply: merging an applied configuration onto the live
/// object, and pruning the fields an applier stopped setting.
enum ObjectMerge {
    /// Merges `applied` onto `live`: applied values win, maps merge member by member, keyed and
    /// set lists merge element by element, atomic lists and maps are replaced. A `null` in the
    /// configuration removes the field (a typed Kubernetes object cannot hold it).
    static func merge(live: JSONValue?, applied: JSONValue, schemaPath: [String], schema: ListSchema) -> JSONValue? {
        switch applied {
        case .null:
            return nil
        case .object(let appliedMembers) where !ObjectFields.isAtomicMap(applied):
            var result: [String: JSONValue] = [:]
            if let live, let liveMembers = live.objectValue, !ObjectFields.isAtomicMap(live) { result = liveMembers }
            for (name, value) in appliedMembers {
                result[name] = merge(live: result[name], applied: value, schemaPath: schemaPath + [name], schema: schema)
            }
            return .object(result)
        case .array(let appliedElements):
            let type = schema.listType(at: schemaPath)
            if case .atomic = type { return applied }
            let merged = mergeList(live: live?.arrayValue ?? [], applied: appliedElements, type: type, schemaPath: schemaPath, schema: schema)
            return .array(merged)
        default:
            return applied
        }
    }

    /// Element order follows structured-merge-diff: elements only the live list has keep their
    /// place, shared elements follow the configuration's order, new elements go where the
    /// configuration puts them.
    private static func mergeList(live: [JSONValue], applied: [JSONValue], type: ListType, schemaPath: [String], schema: ListSchema) -> [JSONValue] {
        let left = ObjectFields.ListItems(live, type: type)
        let right = ObjectFields.ListItems(applied, type: type)
        var shared = right.order.filter { left.values[$0] != nil }[...]
        var nextShared = shared.popFirst()
        var taken: Set<PathElement> = []
        var result: [JSONValue] = []

        func take(_ name: PathElement) {
            taken.insert(name)
            guard let appliedElement = right.values[name] else { return }
            if let merged = merge(live: left.values[name], applied: appliedElement, schemaPath: schemaPath, schema: schema) {
                result.append(merged)
            }
        }

        var leftIndex = 0
        var rightIndex = 0
        while leftIndex < left.order.count || rightIndex < right.order.count {
            if leftIndex < left.order.count, rightIndex < right.order.count {
                let name = left.order[leftIndex]
                if name == right.order[rightIndex] {
                    take(name)
                    leftIndex += 1
                    rightIndex += 1
                    nextShared = shared.popFirst()
                    continue
                }
                if right.values[name] != nil, let expected = nextShared, expected != name {
                    leftIndex += 1
                    continue
                }
            }
            if leftIndex < left.order.count {
                let name = left.order[leftIndex]
                if right.values[name] == nil {
                    if let element = left.values[name] { result.append(element) }
                    leftIndex += 1
                    continue
                }
                if taken.contains(name) {
                    leftIndex += 1
                    continue
                }
            }
            if rightIndex < right.order.count {
                let name = right.order[rightIndex]
                take(name)
                rightIndex += 1
                if nextShared == name { nextShared = shared.popFirst() }
            }
        }
        return result
    }

    /// What pruning removes: a path the applier owned last time (`lastApplied`), that nobody owns
    /// now (`managed`), and that is not `protected`. Both sets include the map fields leading to
    /// their members, so a map goes only when nothing under it is owned any more.
    struct Pruning {
        let lastApplied: Set<FieldPath>
        let managed: Set<FieldPath>
        /// The paths below which something may be removed; the walk goes no further than these.
        let enclosing: Set<FieldPath>
        let protected: (FieldPath) -> Bool

        init(lastApplied: FieldSet, managed: FieldSet, protected: @escaping (FieldPath) -> Bool) {
            self.lastApplied = lastApplied.withEnclosingFields
            self.managed = managed.withEnclosingFields
            self.enclosing = lastApplied.enclosingPaths
            self.protected = protected
        }

        func removes(_ path: FieldPath) -> Bool {
            lastApplied.contains(path) && !managed.contains(path) && !protected(path)
        }
    }

    /// `value` without the fields `pruning` removes; a keyed list element goes whole.
    static func prune(_ value: JSONValue, at path: FieldPath, schemaPath: [String], pruning: Pruning, schema: ListSchema) -> JSONValue {
        switch value {
        case .object(var members) where !ObjectFields.isAtomicMap(value):
            for (name, member) in members {
                let memberPath = path.appending(.field(name))
                if pruning.removes(memberPath) {
                    members[name] = nil
                } else if pruning.enclosing.contains(memberPath) {
                    members[name] = prune(member, at: memberPath, schemaPath: schemaPath + [name], pruning: pruning, schema: schema)
                }
            }
            return .object(members)
        case .array(let elements):
            let type = schema.listType(at: schemaPath)
            if case .atomic = type { return value }
            var kept: [JSONValue] = []
            for (position, element) in elements.enumerated() {
                let elementPath = path.appending(ObjectFields.element(element, at: position, type: type))
                if pruning.removes(elementPath) { continue }
                let isEnclosing = pruning.enclosing.contains(elementPath)
                kept.append(isEnclosing ? prune(element, at: elementPath, schemaPath: schemaPath, pruning: pruning, schema: schema) : element)
            }
            return .array(kept)
        default:
            return value
        }
    }
}
