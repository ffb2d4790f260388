import KubeModel

/// All objects of one revision of an application, in load order: files by path (byte order),
/// documents in file order, `List` items in list order.
public struct ManifestSet: Sendable, Hashable {
    /// The objects, in load order.
    public var manifests: [Manifest]

    /// A set of these manifests, in the order given.
    public init(manifests: [Manifest] = []) {
        self.manifests = manifests
    }

    /// The number of objects.
    public var count: Int { manifests.count }

    /// True when the revision has no objects.
    public var isEmpty: Bool { manifests.isEmpty }

    /// The object with this identity, if the set has it.
    public subscript(identity: ObjectIdentity) -> Manifest? {
        manifests.first { $0.identity == identity }
    }

    /// The objects keyed by identity (identities are unique in a loaded set).
    public var byIdentity: [ObjectIdentity: Manifest] {
        Dictionary(manifests.map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The objects ordered by identity, so the order does not depend on which file holds what.
    public var sortedByIdentity: [Manifest] {
        manifests.sorted { $0.identity < $1.identity }
    }

    /// A JSON array of the objects' canonical JSON, ordered by identity: the same objects give the
    /// same text however they are spread over files, which makes it the input for a content hash.
    public var canonicalJSON: String {
        "[" + sortedByIdentity.map(\.canonicalJSON).joined(separator: ",") + "]"
    }

    /// A multi-document YAML stream of the objects' canonical YAML, ordered by identity, each
    /// document starting with `---`: the rendered manifests as the ledger stores and shows them.
    public var canonicalYAML: String {
        sortedByIdentity.map { "---\n" + $0.canonicalYAML }.joined()
    }
}
