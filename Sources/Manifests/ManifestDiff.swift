import KubeModel

/// The object-level difference between two revisions' manifests: the basis of `sluice diff` and of
/// the ledger's "what changed". Objects are matched by ``ObjectIdentity``; an object counts as
/// changed when its canonical JSON differs. Every list is ordered by identity.
public struct ManifestDiff: Sendable {
    /// An object in both revisions whose content differs.
    public struct Change: Sendable {
        /// The object's identity.
        public var identity: ObjectIdentity
        /// The object in the old revision.
        public var before: Manifest
        /// The object in the new revision.
        public var after: Manifest

        /// A change from its parts.
        public init(identity: ObjectIdentity, before: Manifest, after: Manifest) {
            self.identity = identity
            self.before = before
            self.after = after
        }

        /// A unified diff of the object's canonical YAML, with 3 lines of context, headed
        /// `--- group/kind/namespace/name` and `+++ group/kind/namespace/name`.
        public var unifiedDiff: String {
            UnifiedDiff.make(
                old: before.canonicalYAML, new: after.canonicalYAML, oldLabel: identity.description,
                newLabel: identity.description)
        }
    }

    /// Objects only in the new revision.
    public var created: [Manifest]
    /// Objects in both whose content differs.
    public var changed: [Change]
    /// Objects in both with the same content (as in the new revision).
    public var unchanged: [Manifest]
    /// Objects only in the old revision.
    public var removed: [Manifest]

    /// A diff from its parts; empty by default.
    public init(created: [Manifest] = [], changed: [Change] = [], unchanged: [Manifest] = [], removed: [Manifest] = []) {
        self.created = created
        self.changed = changed
        self.unchanged = unchanged
        self.removed = removed
    }

    /// True when nothing was created, changed or removed.
    public var isEmpty: Bool { created.isEmpty && changed.isEmpty && removed.isEmpty }

    /// Compares two revisions' manifests.
    public static func between(_ old: ManifestSet, _ new: ManifestSet) -> ManifestDiff {
        let oldByIdentity = old.byIdentity
        var diff = ManifestDiff()
        var matched = Set<ObjectIdentity>()
        for manifest in new.sortedByIdentity {
            guard let previous = oldByIdentity[manifest.identity] else {
                diff.created.append(manifest)
                continue
            }
            matched.insert(manifest.identity)
            if previous.object == manifest.object || previous.canonicalJSON == manifest.canonicalJSON {
                diff.unchanged.append(manifest)
            } else {
                diff.changed.append(Change(identity: manifest.identity, before: previous, after: manifest))
            }
        }
        diff.removed = old.sortedByIdentity.filter { !matched.contains($0.identity) }
        return diff
    }

    /// The whole difference as one unified diff: created objects against nothing, changed ones
    /// against their old content, removed ones against nothing, in identity order.
    public var unifiedDiff: String {
        var entries: [(ObjectIdentity, String)] = []
        for manifest in created {
            let text = UnifiedDiff.make(old: "", new: manifest.canonicalYAML, oldLabel: "/dev/null", newLabel: manifest.identity.description)
            entries.append((manifest.identity, text))
        }
        for change in changed { entries.append((change.identity, change.unifiedDiff)) }
        for manifest in removed {
            let text = UnifiedDiff.make(old: manifest.canonicalYAML, new: "", oldLabel: manifest.identity.description, newLabel: "/dev/null")
            entries.append((manifest.identity, text))
        }
        return entries.sorted { $0.0 < $1.0 }.map(\.1).joined()
    }
}
