/// JSON Merge Patch (RFC 7386): the `application/merge-patch+json` patch type.
extension JSONValue {
    /// This value with a JSON merge patch applied (RFC 7386).
    ///
    /// An object patch merges into an object member by member: `null` removes the member, an
    /// object merges recursively, anything else (arrays included) replaces the member. A patch
    /// that is not an object replaces the whole value. When this value is not an object, an object
    /// patch applies to an empty object. `null`s nested inside a value that is added are dropped,
    /// as the RFC's algorithm does.
    public func applyingMergePatch(_ patch: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var members = objectValue ?? [:]
        for (key, patchValue) in patchMembers {
            if patchValue.isNull {
                members[key] = nil
            } else {
                members[key] = (members[key] ?? .null).applyingMergePatch(patchValue)
            }
        }
        return .object(members)
    }

    /// The merge patch that turns `original` into `modified`: applying it to `original` with
    /// ``applyingMergePatch(_:)`` gives `modified`.
    ///
    /// Members missing from `modified` become `null`, changed objects are diffed recursively and
    /// every other change carries the new value whole. Equal objects give `{}`. When either side is
    /// not an object the patch is `modified` itself. RFC 7386 cannot set a member to `null`, so a
    /// `null` inside `modified` cannot be reproduced.
    public static func mergePatch(from original: JSONValue, to modified: JSONValue) -> JSONValue {
        guard case .object(let originalMembers) = original, case .object(let modifiedMembers) = modified else {
            return modified
        }
        var patch: [String: JSONValue] = [:]
        for key in originalMembers.keys where modifiedMembers[key] == nil {
            patch[key] = .null
        }
        for (key, newValue) in modifiedMembers {
            guard let oldValue = originalMembers[key] else {
                patch[key] = newValue
                continue
            }
            if oldValue == newValue { continue }
            if case .object = oldValue, case .object = newValue {
                let nested = mergePatch(from: oldValue, to: newValue)
                if nested != .emptyObject { patch[key] = nested }
            } else {
                patch[key] = newValue
            }
        }
        return .object(patch)
    }
}
