extension ServerSideApply {
    /// How many Update entries an object keeps; older ones are merged into `ancient-changes`.
    public static let maximumUpdateManagers = 10

    /// Records a write that is not an apply (create, update, any patch) by `manager`: the fields
    /// whose value appeared or changed between `old` (`nil` for a create) and `new` become owned by
    /// `manager` with operation `Update` and are taken from every other manager; fields the write
    /// removed are owned by nobody any more. Returns `new` with `metadata.managedFields` set.
    ///
    /// An Apply manager losing a field here is how `kubectl edit` followed by a re-apply shows up
    /// as a conflict. As in Kubernetes:
    /// - non-empty `metadata.managedFields` in `new` are the starting point (clients may rewrite
    ///   them, as kubectl does when it moves client-side apply ownership to server-side apply);
    ///   `[]` or `[{}]` clears them; missing or unreadable ones mean `old`'s are kept;
    /// - an existing object without managed fields stays untracked until it is applied to;
    /// - beyond ``maximumUpdateManagers`` Update entries, the oldest merge into `ancient-changes`.
    ///
    /// A `"status"` `subresource` records ownership of `status` only and ignores managed fields
    /// in `new`.
    public static func recordUpdate(
        old: JSONValue?, new: JSONValue, manager: String, schema: ListSchema, time: String, subresource: String = ""
    ) -> JSONValue {
        let scope = FieldScope(subresource: subresource)
        var entries: [ManagedFieldsEntry]
        if scope.isMainResource, new.asksToClearManagedFields {
            entries = []
        } else if scope.isMainResource, let supplied = try? new.managedFieldsEntries(), !supplied.isEmpty {
            entries = supplied
        } else {
            entries = (try? old?.managedFieldsEntries()) ?? []
        }

        var result = withoutManagedFields(new)
        if entries.isEmpty && old != nil { return result }
        let comparison = ObjectComparison(old: old.map(withoutManagedFields) ?? .emptyObject, new: result, schema: schema)
        let taken = ownedChanges(comparison, scope: scope)
        let removed = FieldSet(comparison.removed)
        let identity = ManagedFieldsEntry(
            manager: manager, operation: .update, apiVersion: result.apiVersion ?? "", time: time, fields: taken, subresource: subresource)
        let mine = entries.firstIndex { $0.isSameManager(as: identity) }
        for index in entries.indices where index != mine {
            entries[index].fields = entries[index].fields.subtracting(taken).subtracting(removed)
        }
        if let mine {
            entries[mine].fields = entries[mine].fields.subtracting(removed).union(taken)
            if !taken.isEmpty { entries[mine].time = time }
        } else if !taken.isEmpty {
            entries.append(identity)
        }
        result.setManagedFields(capped(entries.filter { !$0.fields.isEmpty }))
        return result
    }

    /// What an Update takes ownership of: leaves and list elements added or modified, and whole
    /// maps and lists it added (but not struct-like ones; see ``ObjectComparison/addedStructs``).
    static func ownedChanges(_ comparison: ObjectComparison, scope: FieldScope) -> FieldSet {
        FieldSet(comparison.added.subtracting(comparison.addedStructs).union(comparison.modified)).filter(scope.owns)
    }

    /// Kubernetes' cap on Update entries: oldest first, each entry after the first of its
    /// apiVersion merges into that apiVersion's `ancient-changes` bucket, until few enough remain.
    static func capped(_ entries: [ManagedFieldsEntry]) -> [ManagedFieldsEntry] {
        var result = entries
        let updaters = entries.filter { $0.operation == .update }.sorted { left, right in
            if left.time != right.time { return (left.time ?? "") < (right.time ?? "") }
            return (left.manager, left.apiVersion, left.subresource) < (right.manager, right.apiVersion, right.subresource)
        }
        var count = updaters.count
        var firstOfVersion: [String: ManagedFieldsEntry] = [:]
        for updater in updaters where count > maximumUpdateManagers {
            guard let first = firstOfVersion[updater.apiVersion] else {
                firstOfVersion[updater.apiVersion] = updater
                continue
            }
            let bucket = ManagedFieldsEntry(manager: "ancient-changes", operation: .update, apiVersion: updater.apiVersion, fields: FieldSet())
            if updater.isSameManager(as: bucket) { continue }
            var bucketIndex = result.firstIndex { $0.isSameManager(as: bucket) }
            if bucketIndex == nil, let firstIndex = result.firstIndex(of: first) {
                result[firstIndex].manager = bucket.manager
                result[firstIndex].subresource = ""
                bucketIndex = firstIndex
            }
            guard let bucketIndex, let updaterIndex = result.firstIndex(of: updater) else { continue }
            result[bucketIndex].fields = result[bucketIndex].fields.union(updater.fields)
            result[bucketIndex].time = updater.time
            result.remove(at: updaterIndex)
            count -= 1
        }
        return result
    }
}
