/// What makes two manifests the same object: group, kind, namespace and name.
///
/// The version is not part of it: `apps/v1` and `apps/v1beta1` Deployments of the same name are one
/// object. Cluster-scoped objects have an empty namespace. The text form is
/// `group/kind/namespace/name` (the core group is empty, so a ConfigMap reads
/// `/ConfigMap/default/settings`), as the ledger and the JSON output use it.
public struct ObjectIdentity: Sendable, Hashable, Comparable, LosslessStringConvertible {
    /// The API group; empty for the core group.
    public var group: String
    /// The kind.
    public var kind: String
    /// The namespace; empty for cluster-scoped objects.
    public var namespace: String
    /// The name (for a hook named by `generateName`, the prefix; for a hook with no name, empty).
    public var name: String

    /// An identity from its parts.
    public init(group: String, kind: String, namespace: String, name: String) {
        self.group = group
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    /// Reads the `group/kind/namespace/name` form; `nil` unless it has exactly four parts and a kind
    /// and a name.
    public init?(_ description: String) {
        let parts = description.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, !parts[1].isEmpty, !parts[3].isEmpty else { return nil }
        self.init(group: parts[0], kind: parts[1], namespace: parts[2], name: parts[3])
    }

    /// The group and kind.
    public var groupKind: GroupKind { GroupKind(group: group, kind: kind) }

    /// `group/kind/namespace/name`.
    public var description: String { "\(group)/\(kind)/\(namespace)/\(name)" }

    /// Orders by group, kind, namespace and name, comparing bytes so the order never depends on locale
    /// or Unicode normalisation.
    public static func < (lhs: ObjectIdentity, rhs: ObjectIdentity) -> Bool {
        // Field by field without building anything: sorting an inventory of thousands compares a lot.
        if lhs.group != rhs.group { return lhs.group.utf8.lexicographicallyPrecedes(rhs.group.utf8) }
        if lhs.kind != rhs.kind { return lhs.kind.utf8.lexicographicallyPrecedes(rhs.kind.utf8) }
        if lhs.namespace != rhs.namespace { return lhs.namespace.utf8.lexicographicallyPrecedes(rhs.namespace.utf8) }
        return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
    }
}
