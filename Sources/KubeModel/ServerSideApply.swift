/// Kubernetes field management, as the API server does it with structured-merge-diff: server-side
/// apply (`kubectl apply --server-side`, `kubectl diff --server-side`) and the ownership every
/// other write records in `metadata.managedFields`.
///
/// Pure functions over ``JSONValue`` objects; the caller (an API server) checks the apply's
/// `apiVersion` against the URL, applies defaults, stores the result and stamps `resourceVersion`.
public enum ServerSideApply {
    /// The manager Kubernetes records for the fields of an object that had no managed fields when
    /// it was first applied to.
    public static let beforeFirstApplyManager = "before-first-apply"

    /// Server-side apply of `applied` (the user's configuration) onto `live` (`nil` when the object
    /// does not exist yet) by `manager`. Returns the merged object with `metadata.managedFields`
    /// updated; when nothing changed it equals `live`.
    ///
    /// - Fields another manager owns whose value the apply would change are conflicts: unless
    ///   `force`, this throws a 409 `Conflict` naming every manager and field; with `force` the
    ///   fields move to `manager`. Applying the value already there makes the managers co-owners.
    /// - Fields `manager` applied last time and has now left out are removed, unless another
    ///   manager still owns them.
    /// - For the manager `kubectl`, as in Kubernetes: conflicts on fields whose live value is still
    ///   the one in the `kubectl.kubernetes.io/last-applied-configuration` annotation are forced,
    ///   and that annotation, when the object keeps it, is rewritten to the applied configuration.
    /// - `subresource` is empty for the main resource, whose appliers never own `status`;
    ///   `"status"` applies to `status` alone.
    ///
    /// Throws a 400 `BadRequest` when `applied` is not an object or sets `metadata.managedFields`.
    public static func apply(
        live: JSONValue?, applied: JSONValue, manager: String, force: Bool, schema: ListSchema, time: String, subresource: String = ""
    ) throws(APIStatus) -> JSONValue {
        guard applied.objectValue != nil else {
            throw APIStatus.badRequest("the applied configuration is a \(applied.typeName), not an object")
        }
        if let managedFields = applied[path: ["metadata", "managedFields"]], !managedFields.isNull {
            throw APIStatus.badRequest("metadata.managedFields must be nil")
        }
        let request = ApplyRequest(
            live: live, applied: applied, manager: manager, schema: schema, time: time, scope: FieldScope(subresource: subresource))
        var result: JSONValue
        switch request.run(force: force) {
        case .merged(let merged):
            result = merged
        case .conflicts(let conflicts):
            guard manager == LastApplied.manager, let allowed = LastApplied.allowedConflicts(live: live, schema: schema) else {
                throw FieldConflict.status(for: conflicts)
            }
            let remaining = conflicts.filter { !allowed.contains($0.path) }
            guard remaining.isEmpty, case .merged(let merged) = request.run(force: true) else {
                throw FieldConflict.status(for: remaining.isEmpty ? conflicts : remaining)
            }
            result = merged
        }
        if manager == LastApplied.manager { LastApplied.update(&result, from: applied) }
        return result
    }

    static func withoutManagedFields(_ object: JSONValue) -> JSONValue {
        guard object[path: ["metadata", "managedFields"]] != nil else { return object }
        var copy = object
        copy[path: ["metadata", "managedFields"]] = nil
        return copy
    }
}

/// One server-side apply, run once or (for `kubectl`'s allowed conflicts) twice.
struct ApplyRequest {
    enum Outcome {
        case merged(JSONValue)
        case conflicts([FieldConflict])
    }

    let live: JSONValue?
    let applied: JSONValue
    let manager: String
    let schema: ListSchema
    let time: String
    let scope: FieldScope

    func run(force: Bool) -> Outcome {
        let base = live.map(ServerSideApply.withoutManagedFields) ?? .emptyObject
        var entries = (try? live?.managedFieldsEntries()) ?? []
        if live != nil, entries.isEmpty {
            // Kubernetes credits what an untracked object already holds to one Update manager.
            let fields = ServerSideApply.ownedChanges(ObjectComparison(old: nil, new: base, schema: schema), scope: scope)
            entries = [
                ManagedFieldsEntry(
                    manager: ServerSideApply.beforeFirstApplyManager, operation: .update, apiVersion: base.apiVersion ?? "",
                    time: time, fields: fields, subresource: scope.subresource)
            ]
        }

        let configuration = scope.configuration(from: applied)
        let appliedFields = FieldSet(configuration: configuration, schema: schema)
        let mine = entries.firstIndex { $0.manager == manager && $0.operation == .apply && $0.subresource == scope.subresource }
        var merged = ObjectMerge.merge(live: base, applied: configuration, schemaPath: [], schema: schema) ?? base
        if let mine, !entries[mine].fields.isEmpty {
            var managed = appliedFields
            for index in entries.indices where index != mine { managed = managed.union(entries[index].fields) }
            let pruning = ObjectMerge.Pruning(lastApplied: entries[mine].fields, managed: managed) { !scope.owns($0) }
            merged = ObjectMerge.prune(merged, at: .root, schemaPath: [], pruning: pruning, schema: schema)
        }

        let comparison = ObjectComparison(old: base, new: merged, schema: schema)
        let changed = comparison.changed.filter(scope.owns)
        let removed = FieldSet(comparison.removed)
        var conflicts: [FieldConflict] = []
        for index in entries.indices where index != mine {
            for path in entries[index].fields.intersection(changed).sorted {
                conflicts.append(FieldConflict(owner: entries[index], path: path))
            }
        }
        if !force && !conflicts.isEmpty { return .conflicts(conflicts) }
        for index in entries.indices where index != mine {
            entries[index].fields = entries[index].fields.subtracting(changed).subtracting(removed)
        }

        var entry =
            mine.map { entries[$0] }
            ?? ManagedFieldsEntry(manager: manager, operation: .apply, apiVersion: "", fields: FieldSet(), subresource: scope.subresource)
        entry.fields = appliedFields.filter(scope.owns)
        entry.apiVersion = applied.apiVersion ?? base.apiVersion ?? ""
        // As in Kubernetes, the time moves only when the object itself changed.
        if merged != base { entry.time = time }
        if let mine { entries[mine] = entry } else { entries.append(entry) }
        merged.setManagedFields(entries)
        return .merged(merged)
    }
}
