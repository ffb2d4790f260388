/// Strategic merge patch: the `application/strategic-merge-patch+json` patch type that
/// `kubectl apply` (client-side) and `kubectl patch` send by default.
extension JSONValue {
    /// This object with a strategic merge patch applied, as the API server applies it
    /// (apimachinery's `strategicpatch.StrategicMergeMapPatch`).
    ///
    /// Objects merge recursively and `null` removes a member. A list merges according to its
    /// ``ListType`` in `schema`: `.map(keys:)` lists merge element by element on the first key (the
    /// `patchMergeKey`), merging a patch element into the live element with the same key and
    /// appending the others; `.set` lists of scalars merge as a union; `.atomic` lists are replaced.
    /// Merged lists take the patch's order for the elements it names, with live-only elements kept
    /// where they were relative to them.
    ///
    /// Directives, none of which is left in the result:
    /// - `$patch: replace` in an object replaces the object; in a list element, replaces the list
    ///   with the patch's other elements.
    /// - `$patch: delete` in an object empties it (a new member with it is left out); in a list
    ///   element, removes the live element with that merge key.
    /// - `$patch: merge` is the default and changes nothing.
    /// - `$retainKeys: [...]` removes the live object's members that are not listed.
    /// - `$deleteFromPrimitiveList/<field>: [...]` removes those scalars from the list `<field>`.
    /// - `$setElementOrder/<field>: [...]` orders the merged list `<field>`: the elements it names
    ///   in its order, live-only elements kept where they were relative to them.
    ///
    /// - Throws: ``PatchError`` when the patch is not an object, a directive has the wrong shape,
    ///   a merge-list element lacks its merge key, or a `$patch` value is unknown; the messages are
    ///   the API server's.
    public func applyingStrategicMergePatch(_ patch: JSONValue, schema: ListSchema) throws(PatchError) -> JSONValue {
        guard case .object(let patchMembers) = patch else {
            throw .malformed("a strategic merge patch must be a JSON object, not \(patch.typeName)")
        }
        let merger = StrategicMerger(schema: schema)
        return .object(try merger.mergeMap(objectValue ?? [:], patchMembers, path: []))
    }
}

/// The strategic merge of one patch into one object, following apimachinery's `mergeMap` and
/// `mergeSlice` with the options the API server uses (parallel delete lists merged, unmatched
/// `null`s ignored). Paths are field names from the object's root, list elements left out, as
/// ``ListSchema`` takes them.
struct StrategicMerger {
    static let patchDirective = "$patch"
    static let retainKeysDirective = "$retainKeys"
    static let setElementOrderPrefix = "$setElementOrder/"
    static let deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/"

    let schema: ListSchema

    /// Merges `patch` into the object `original`.
    func mergeMap(
        _ original: [String: JSONValue], _ patch: [String: JSONValue], path: [String]
    ) throws(PatchError) -> [String: JSONValue] {
        var patch = patch
        if let directive = patch.removeValue(forKey: Self.patchDirective) {
            switch directive {
            case "replace":
                return try mergeMap([:], patch, path: path)
            case "delete":
                return [:]
            case "merge":
                break
            default:
                var shown = patch
                shown[Self.patchDirective] = directive
                throw .mergeFailed("unknown patch type: \(Self.describe(directive)) in map: \(Self.describe(.object(shown)))")
            }
        }
        var result = original
        if let retainKeys = patch.removeValue(forKey: Self.retainKeysDirective) {
            try Self.applyRetainKeys(retainKeys, to: &result, patch: patch)
        }
        for key in patch.keys.sorted() where key.hasPrefix(Self.setElementOrderPrefix) {
            guard let order = patch.removeValue(forKey: key) else { continue }
            let field = try Self.field(of: key, prefix: Self.setElementOrderPrefix)
            try mergeOrderedList(field, order: order, into: &result, patch: &patch, path: path)
        }
        var deletions: [(field: String, values: JSONValue)] = []
        for (key, patchValue) in patch {
            if key.hasPrefix(Self.deleteFromPrimitiveListPrefix) {
                deletions.append((try Self.field(of: key, prefix: Self.deleteFromPrimitiveListPrefix), patchValue))
            } else {
                try mergeMember(key, patchValue, into: &result, path: path)
            }
        }
        // After the merges, so that a value both added and deleted ends up deleted.
        for (field, values) in deletions {
            guard case .array(let toDelete) = values else {
                throw .malformed("invalid patch format of primitive list")
            }
            guard case .array(let current)? = result[field] else { continue }
            result[field] = .array(current.filter { element in !toDelete.contains { $0.isEquivalent(to: element) } })
        }
        return result
    }

    /// Merges one member of a patch into the object being built.
    private func mergeMember(
        _ key: String, _ patchValue: JSONValue, into result: inout [String: JSONValue], path: [String]
    ) throws(PatchError) {
        let fieldPath = path + [key]
        guard let current = result[key], !patchValue.isNull else {
            // `null` deletes; a member the live object lacks is taken from the patch.
            result[key] = try materialize(patchValue, path: fieldPath)
            return
        }
        switch (current, patchValue) {
        case (.object(let live), .object(let patchMembers)):
            result[key] = .object(try mergeMap(live, patchMembers, path: fieldPath))
        case (.array(let live), .array(let patchElements)):
            result[key] = .array(try mergeList(live, patchElements, path: fieldPath))
        default:
            result[key] = try materialize(patchValue, path: fieldPath)
        }
    }

    /// A patch value taken where there is nothing live to merge it into: `null`s and directives
    /// are processed against nothing. `nil` when the value leaves the member out (`null`, or an
    /// object with `$patch: delete`).
    func materialize(_ value: JSONValue, path: [String]) throws(PatchError) -> JSONValue? {
        switch value {
        case .null:
            return nil
        case .object(let members):
            if members[Self.patchDirective] == "delete" { return nil }
            return .object(try mergeMap([:], members, path: path))
        case .array(let elements):
            return .array(try materializeList(elements, path: path))
        default:
            return value
        }
    }

    /// A list from a patch with its directives processed against nothing: elements with
    /// `$patch` directives are dropped, `null` elements stay.
    func materializeList(_ elements: [JSONValue], path: [String]) throws(PatchError) -> [JSONValue] {
        var result: [JSONValue] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            if case .object(let members) = element, let directive = members[Self.patchDirective], directive != "merge" {
                continue
            }
            result.append(try materialize(element, path: path) ?? .null)
        }
        return result
    }

    /// `$retainKeys`: validates that the patch only sets listed members and drops the live
    /// members that are not listed.
    private static func applyRetainKeys(
        _ value: JSONValue, to result: inout [String: JSONValue], patch: [String: JSONValue]
    ) throws(PatchError) {
        guard case .array(let list) = value else {
            throw .malformed("invalid patch format of retainKeys")
        }
        let retained = Set(list.compactMap(\.stringValue))
        for (key, patchValue) in patch where !patchValue.isNull && !key.hasPrefix("$") {
            guard retained.contains(key) else {
                throw .malformed("invalid patch format of retainKeys")
            }
        }
        result = result.filter { retained.contains($0.key) }
    }

    /// The field a `$setElementOrder/` or `$deleteFromPrimitiveList/` key is about.
    private static func field(of key: String, prefix: String) throws(PatchError) -> String {
        let field = String(key.dropFirst(prefix.count))
        guard !field.isEmpty else {
            throw .malformed(
                prefix == setElementOrderPrefix
                    ? "invalid patch format of setElementOrder list" : "invalid patch format of primitive list")
        }
        return field
    }

    /// A value as Go's `%v` prints it, for messages worded like the API server's
    /// (`map[image:nginx]`).
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "<nil>"
        case .string(let text): return text
        case .array(let elements): return "[" + elements.map(describe).joined(separator: " ") + "]"
        case .object(let members):
            return "map[" + members.sorted { $0.key < $1.key }.map { "\($0.key):\(describe($0.value))" }.joined(separator: " ") + "]"
        default: return value.serialized()
        }
    }
}
