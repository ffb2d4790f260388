import KubeModel

/// One object of an application, as loaded from its file, with where it came from and how it syncs.
public struct Manifest: Sendable, Hashable {
    /// The object as written (not defaulted: a missing namespace stays missing here; see ``identity``).
    public var object: JSONValue
    /// The file it came from, relative to the application path; for Kustomize output, the
    /// directory's kustomization file.
    public var file: String
    /// The 1-based position of its document in the file's YAML stream.
    public var document: Int
    /// Its hook, wave, delete policies and sync options, from its annotations.
    public var settings: SyncSettings
    /// Group, kind, namespace (the default namespace filled in for namespaced kinds) and name.
    public var identity: ObjectIdentity

    /// A manifest from its parts (the loader makes them; tests and the ledger may too).
    public init(object: JSONValue, file: String, document: Int, settings: SyncSettings, identity: ObjectIdentity) {
        self.object = object
        self.file = file
        self.document = document
        self.settings = settings
        self.identity = identity
    }

    /// The object's compact JSON with keys sorted: equal objects give equal text, for hashing and
    /// comparing revisions.
    public var canonicalJSON: String { object.serialized() }

    /// The object as block YAML with keys sorted (see ``KubeModel/JSONValue/canonicalYAML``).
    public var canonicalYAML: String { object.canonicalYAML }
}
