/// One Kubernetes object, named as the ledger's change sets and tasks name it.
public struct ObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The API group, empty for the core group.
    public var group: String
    /// The kind, e.g. `Deployment`.
    public var kind: String
    /// The namespace, empty for cluster-scoped objects.
    public var namespace: String
    /// The object's name.
    public var name: String

    /// Creates a key.
    public init(group: String, kind: String, namespace: String, name: String) {
        self.group = group
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    /// `group/kind/namespace/name`, the form of the `changes` lists in `sluice show`.
    public var description: String { "\(group)/\(kind)/\(namespace)/\(name)" }

    /// Orders by the text form.
    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool { lhs.description < rhs.description }
}
