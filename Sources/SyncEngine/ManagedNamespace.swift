import KubeModel

/// The application's namespace, created by the sync before anything else: Argo CD's
/// application-level `CreateNamespace=true` sync option with its `managedNamespaceMetadata`.
///
/// The namespace is sent with server-side apply under Sluice's field manager, so a missing one is
/// created and an existing one gets these labels and annotations (and loses the ones an earlier sync
/// set that are no longer listed; other managers' are kept). It is not tracked in the inventory, so
/// it is never pruned with the application, as Argo CD never deletes it.
public struct ManagedNamespace: Sendable, Hashable {
    /// The namespace: the application's default namespace (`--namespace`, `apps[].namespace`).
    public var name: String
    /// Labels the namespace gets.
    public var labels: [String: String]
    /// Annotations the namespace gets.
    public var annotations: [String: String]

    /// A namespace to create, with its metadata.
    public init(name: String, labels: [String: String] = [:], annotations: [String: String] = [:]) {
        self.name = name
        self.labels = labels
        self.annotations = annotations
    }

    /// The identity of the Namespace object.
    public var identity: ObjectIdentity { ObjectIdentity(group: "", kind: "Namespace", namespace: "", name: name) }

    /// The object applied: the name, and the labels and annotations when there are any.
    var object: JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(name)]
        if !labels.isEmpty { metadata["labels"] = .object(labels.mapValues(JSONValue.string)) }
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations.mapValues(JSONValue.string)) }
        return ["apiVersion": "v1", "kind": "Namespace", "metadata": .object(metadata)]
    }

    static let gvk = GroupVersionKind(group: "", version: "v1", kind: "Namespace")
}
