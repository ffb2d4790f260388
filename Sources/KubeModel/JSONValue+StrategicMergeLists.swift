/// The list half of strategic merge patch: merge lists, `$patch` elements and element order.
extension StrategicMerger {
    /// Merges a patch list into a live list by the list's type in the schema.
    func mergeList(_ original: [JSONValue], _ patch: [JSONValue], path: [String]) throws(PatchError) -> [JSONValue] {
        switch schema.listType(at: path) {
        case .atomic:
            return try materializeList(patch, path: path)
        case .set:
            return try mergeSlice(original, patch, mergeKey: nil, path: path)
        case .map(let keys):
            return try mergeSlice(original, patch, mergeKey: keys.first, path: path)
        }
    }

    /// apimachinery's `mergeSlice`: scalars merge as a union, objects by merge key; then the
    /// elements are put in order.
    private func mergeSlice(
        _ original: [JSONValue], _ patch: [JSONValue], mergeKey: String?, path: [String]
    ) throws(PatchError) -> [JSONValue] {
        if original.isEmpty && patch.isEmpty { return original }
        guard try Self.holdsObjects(original + patch) else {
            var merged: [JSONValue] = []
            for element in original + patch where !merged.contains(where: { $0.isEquivalent(to: element) }) {
                merged.append(element)
            }
            return Self.ordered(merged, patchOrder: patch, serverOrder: original, mergeKey: nil)
        }
        guard let mergeKey else {
            throw .mergeFailed("cannot merge lists without merge key for \(path.joined(separator: "."))")
        }
        var live = original
        var patchElements: [JSONValue] = []
        var replace = false
        for element in patch {
            guard let directive = element[Self.patchDirective] else {
                patchElements.append(element)
                continue
            }
            switch directive {
            case "delete":
                guard let keyValue = element[mergeKey] else { throw Self.noMergeKey(element, mergeKey) }
                live.removeAll { Self.key(of: $0, mergeKey)?.isEquivalent(to: keyValue) ?? false }
            case "replace":
                replace = true
            case "merge":
                patchElements.append(element)
            default:
                throw .mergeFailed("unknown patch type: \(Self.describe(directive)) in map: \(Self.describe(element))")
            }
        }
        if replace {
            return try materializeList(patchElements, path: path)
        }
        var merged = live
        for element in patchElements {
            guard case .object(let members) = element, let keyValue = members[mergeKey] else {
                throw Self.noMergeKey(element, mergeKey)
            }
            if let index = merged.firstIndex(where: { Self.key(of: $0, mergeKey)?.isEquivalent(to: keyValue) ?? false }),
                case .object(let liveMembers) = merged[index]
            {
                merged[index] = .object(try mergeMap(liveMembers, members, path: path))
            } else if let added = try materialize(element, path: path) {
                merged.append(added)
            }
        }
        return Self.ordered(merged, patchOrder: patchElements, serverOrder: live, mergeKey: mergeKey)
    }

    /// `$setElementOrder/<field>`: merges the patch's list for `field` (if any) into the live one
    /// and orders the result by `order`. Removes the field from `patch` once handled.
    func mergeOrderedList(
        _ field: String, order: JSONValue, into result: inout [String: JSONValue], patch: inout [String: JSONValue],
        path: [String]
    ) throws(PatchError) {
        guard case .array(let orderElements) = order else {
            throw .malformed("invalid patch format of setElementOrder list")
        }
        let fieldPath = path + [field]
        let listType = schema.listType(at: fieldPath)
        var mergeKey: String?
        if case .map(let keys) = listType { mergeKey = keys.first }
        let liveValue = result[field]
        let patchValue = patch[field]
        if patchValue?.isNull == true { return }
        if let liveValue, liveValue.arrayValue == nil {
            throw .mergeFailed("$setElementOrder/\(field): the live \(field) is \(liveValue.typeName), not a list")
        }
        if let patchValue, patchValue.arrayValue == nil {
            throw .mergeFailed("$setElementOrder/\(field): the patch's \(field) is \(patchValue.typeName), not a list")
        }
        let live = liveValue?.arrayValue
        let patchList = patchValue?.arrayValue
        try Self.validate(patchList ?? [], against: orderElements, mergeKey: mergeKey, field: field)
        let merged: [JSONValue]
        switch (live, patchList) {
        case (let live?, nil): merged = live
        case (nil, let patchList?): merged = try materializeList(patchList, path: fieldPath)
        case (let live?, let patchList?): merged = try mergeList(live, patchList, path: fieldPath)
        case (nil, nil): return
        }
        patch[field] = nil
        if case .atomic = listType {
            result[field] = .array(merged)
        } else {
            result[field] = .array(Self.ordered(merged, patchOrder: orderElements, serverOrder: live ?? [], mergeKey: mergeKey))
        }
    }

    /// apimachinery's `normalizeElementOrder`: elements the patch names come in the patch's order;
    /// live-only elements keep their live order and are slotted in before the first patch element
    /// that came after them in the live list.
    static func ordered(_ merged: [JSONValue], patchOrder: [JSONValue], serverOrder: [JSONValue], mergeKey: String?) -> [JSONValue] {
        func identity(_ element: JSONValue) -> JSONValue? {
            guard let mergeKey else { return element }
            return key(of: element, mergeKey)
        }
        func position(_ element: JSONValue, in list: [JSONValue]) -> Int? {
            guard let wanted = identity(element) else { return nil }
            return list.firstIndex { identity($0)?.isEquivalent(to: wanted) ?? false }
        }
        var named: [(rank: Int, index: Int, element: JSONValue)] = []
        var liveOnly: [(rank: Int, index: Int, element: JSONValue)] = []
        for (index, element) in merged.enumerated() {
            if let rank = position(element, in: patchOrder) {
                named.append((rank, index, element))
            } else {
                liveOnly.append((position(element, in: serverOrder) ?? Int.max, index, element))
            }
        }
        let right = named.sorted { ($0.rank, $0.index) < ($1.rank, $1.index) }.map(\.element)
        let left = liveOnly.sorted { ($0.rank, $0.index) < ($1.rank, $1.index) }.map(\.element)
        var result: [JSONValue] = []
        result.reserveCapacity(merged.count)
        var leftIndex = 0
        var rightIndex = 0
        while leftIndex < left.count || rightIndex < right.count {
            let takeLeft: Bool
            if rightIndex >= right.count {
                takeLeft = true
            } else if leftIndex >= left.count {
                takeLeft = false
            } else if let leftRank = position(left[leftIndex], in: serverOrder),
                let rightRank = position(right[rightIndex], in: serverOrder)
            {
                takeLeft = leftRank < rightRank
            } else {
                takeLeft = false
            }
            if takeLeft {
                result.append(left[leftIndex])
                leftIndex += 1
            } else {
                result.append(right[rightIndex])
                rightIndex += 1
            }
        }
        return result
    }

    /// Checks that the patch list names its elements in the same relative order as the
    /// `$setElementOrder` list, and names no element the order leaves out.
    private static func validate(
        _ patchList: [JSONValue], against order: [JSONValue], mergeKey: String?, field: String
    ) throws(PatchError) {
        guard !order.isEmpty else { return }
        func identity(_ element: JSONValue) throws(PatchError) -> JSONValue {
            guard let mergeKey else { return element }
            guard let value = key(of: element, mergeKey) else { throw noMergeKey(element, mergeKey) }
            return value
        }
        var orderIndex = 0
        for element in patchList where element[patchDirective] == nil {
            let wanted = try identity(element)
            var found = false
            while orderIndex < order.count && !found {
                found = try identity(order[orderIndex]).isEquivalent(to: wanted)
                orderIndex += 1
            }
            guard found else {
                let patchText = describe(.array(patchList))
                let orderText = describe(.array(order))
                throw .mergeFailed(
                    "the order in patch list:\n\(patchText)\n doesn't match $setElementOrder/\(field) list:\n\(orderText)")
            }
        }
    }

    /// Whether a merge list holds objects (`true`) or scalars (`false`); lists of lists and
    /// mixed lists cannot be merged.
    private static func holdsObjects(_ elements: [JSONValue]) throws(PatchError) -> Bool {
        var objects: Bool?
        for element in elements {
            let isObject: Bool
            switch element {
            case .array: throw .doesNotApply("lists of lists are not supported")
            case .object: isObject = true
            default: isObject = false
            }
            if let objects, objects != isObject {
                throw .mergeFailed("list element types are not identical: \(describe(.array(elements)))")
            }
            objects = isObject
        }
        return objects ?? false
    }

    /// The merge-key value of a list element, `nil` when it has none.
    private static func key(of element: JSONValue, _ mergeKey: String) -> JSONValue? {
        guard case .object(let members) = element else { return nil }
        return members[mergeKey]
    }

    private static func noMergeKey(_ element: JSONValue, _ mergeKey: String) -> PatchError {
        .mergeFailed("map: \(describe(element)) does not contain declared merge key: \(mergeKey)")
    }
}
