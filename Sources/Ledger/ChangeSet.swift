/// The object-level change set of an attempt.
public struct ChangeSet: Sendable, Hashable {
    /// Objects that did not exist and were created.
    public var created: [ObjectKey]
    /// Objects that existed and were changed.
    public var configured: [ObjectKey]
    /// Objects that already matched.
    public var unchanged: [ObjectKey]
    /// Objects removed because the revision no longer contains them.
    public var pruned: [ObjectKey]

    /// Creates a change set; every list defaults to empty.
    public init(
        created: [ObjectKey] = [], configured: [ObjectKey] = [], unchanged: [ObjectKey] = [],
        pruned: [ObjectKey] = []
    ) {
        self.created = created
        self.configured = configured
        self.unchanged = unchanged
        self.pruned = pruned
    }

    /// True when all four lists are empty.
    public var isEmpty: Bool { created.isEmpty && configured.isEmpty && unchanged.isEmpty && pruned.isEmpty }
}
