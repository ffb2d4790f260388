/// Which of an object's fields a write through the main resource or a subresource can own.
struct FieldScope {
    /// Metadata the API server sets: never owned, never taken from the applied configuration.
    static let systemMetadata: Set<String> = [
        "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "managedFields", "selfLink",
    ]
    /// Metadata that names the object: never owned, but merged (it must match anyway).
    static let identityMetadata: Set<String> = ["name", "namespace", "clusterName"]

    /// Empty for the main resource, else the subresource (`status`).
    let subresource: String

    var isMainResource: Bool { subresource.isEmpty }

    /// Whether a manager writing in this scope can own `path`. The main resource's managers own
    /// neither `apiVersion`, `kind`, `status` nor the metadata the server or the URL decides; the
    /// status subresource's own only `status`.
    func owns(_ path: FieldPath) -> Bool {
        guard case .field(let first)? = path.elements.first else { return false }
        guard isMainResource else { return first == subresource }
        switch first {
        case "apiVersion", "kind", "status":
            return false
        case "metadata":
            guard path.elements.count > 1 else { return false }
            guard case .field(let second) = path.elements[1] else { return true }
            return !Self.systemMetadata.contains(second) && !Self.identityMetadata.contains(second)
        default:
            return true
        }
    }

    /// The part of an applied configuration that is merged: without `status` and server-set
    /// metadata for the main resource, only the subresource's field for a subresource.
    func configuration(from applied: JSONValue) -> JSONValue {
        guard isMainResource else {
            var configuration = JSONValue.emptyObject
            configuration[subresource] = applied[subresource]
            return configuration
        }
        var configuration = applied
        configuration["status"] = nil
        if var metadata = configuration["metadata"]?.objectValue {
            for name in Self.systemMetadata { metadata[name] = nil }
            configuration["metadata"] = .object(metadata)
        }
        return configuration
    }
}

/// One field an apply would change that another manager owns.
struct FieldConflict {
    /// The owner's entry.
    var owner: ManagedFieldsEntry
    /// The field.
    var path: FieldPath

    /// The 409 Kubernetes answers with: `Apply failed with 1 conflict: conflict with "m" using
    /// apps/v1: .spec.replicas`, or for several, one `conflicts with "m":` block per manager with
    /// a `- .field` line per field; a `FieldManagerConflict` cause per field.
    static func status(for conflicts: [FieldConflict]) -> APIStatus {
        let ordered = conflicts.sorted { left, right in
            let leftKey = [left.owner.manager, left.owner.operation.rawValue, left.owner.apiVersion, left.owner.subresource]
            let rightKey = [right.owner.manager, right.owner.operation.rawValue, right.owner.apiVersion, right.owner.subresource]
            if leftKey != rightKey { return leftKey.lexicographicallyPrecedes(rightKey) }
            return left.path < right.path
        }
        let causes = ordered.map {
            APIStatus.Cause(reason: "FieldManagerConflict", message: "conflict with \($0.owner.conflictName)", field: $0.path.description)
        }
        let message: String
        if let only = ordered.first, ordered.count == 1 {
            message = "Apply failed with 1 conflict: conflict with \(only.owner.conflictName): \(only.path)"
        } else {
            var lines: [String] = []
            var current: String?
            for conflict in ordered {
                let name = conflict.owner.conflictName
                if name != current {
                    lines.append("conflicts with \(name):")
                    current = name
                }
                lines.append("- \(conflict.path)")
            }
            message = "Apply failed with \(ordered.count) conflicts: " + lines.joined(separator: "\n")
        }
        return APIStatus(reason: "Conflict", code: 409, message: message, details: APIStatus.Details(causes: causes))
    }
}
