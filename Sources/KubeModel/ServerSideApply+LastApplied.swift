/// What Kubernetes does for `kubectl apply --server-side` on objects that client-side `kubectl
/// apply` managed: its `last-applied-configuration` annotation lets the move happen without
/// conflicts, and is kept in step while the object carries it.
enum LastApplied {
    /// The only manager this applies to; users opt out by choosing another `--field-manager`.
    static let manager = "kubectl"
    /// The annotation client-side apply keeps.
    static let annotation = "kubectl.kubernetes.io/last-applied-configuration"

    /// The conflicts `kubectl` may force: fields set in `live`'s last-applied configuration whose
    /// live value is still the one recorded there. `nil` when there is no usable annotation.
    static func allowedConflicts(live: JSONValue?, schema: ListSchema) -> FieldSet? {
        guard let live, let text = live.annotations[annotation], !text.isEmpty,
            let lastApplied = try? JSONValue.parse(text), lastApplied.objectValue != nil,
            lastApplied.apiVersion == live.apiVersion
        else { return nil }
        let comparison = ObjectComparison(old: lastApplied, new: ServerSideApply.withoutManagedFields(live), schema: schema)
        return FieldSet(configuration: lastApplied, schema: schema)
            .subtracting(FieldSet(comparison.modified))
            .subtracting(FieldSet(comparison.added))
            .subtracting(FieldSet(comparison.removed))
    }

    /// Rewrites the annotation on `object`, when present, to `applied` without the annotation,
    /// encoded as kubectl encodes it (compact JSON, a trailing newline).
    static func update(_ object: inout JSONValue, from applied: JSONValue) {
        guard let current = object.annotations[annotation], !current.isEmpty else { return }
        var configuration = applied
        if configuration[path: ["metadata", "annotations"]]?.objectValue != nil {
            configuration[path: ["metadata", "annotations", annotation]] = nil
        }
        object[path: ["metadata", "annotations", annotation]] = .string(configuration.serialized() + "\n")
    }
}
