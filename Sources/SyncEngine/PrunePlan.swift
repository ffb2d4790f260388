import KubeModel
import Manifests

/// One object to prune, in the Sync-phase wave it is pruned in.
public struct PruneTask: Sendable, Hashable, CustomStringConvertible {
    /// Which object.
    public var identity: ObjectIdentity
    /// The Sync-phase wave it is pruned in: its own wave mirrored, or the one after the last Sync wave
    /// for `PruneLast`. A group prunes its objects before it applies anything.
    public var wave: Int
    /// The object's own wave.
    public var sourceWave: Int
    /// True when it waits for the end because of `PruneLast=true`.
    public var pruneLast: Bool

    /// A prune task from its parts.
    public init(identity: ObjectIdentity, wave: Int, sourceWave: Int, pruneLast: Bool) {
        self.identity = identity
        self.wave = wave
        self.sourceWave = sourceWave
        self.pruneLast = pruneLast
    }

    /// `prune/WAVE IDENTITY`.
    public var description: String { "prune/\(wave) \(identity)" }
}

/// What a sync prunes: objects the inventory lists that the new revision no longer has
/// (SYNC-SEMANTICS.md, "Phases", step 4).
///
/// Objects are deleted in reverse of how they were created: the distinct prune waves are mirrored,
/// smallest ↔ largest (objects of waves 1, 2, 5 are pruned in waves 5, 2, 1), as gitops-engine does.
/// `PruneLast=true` objects are pruned in the wave after the last Sync wave and after every other
/// prune. `Prune=false` objects are kept.
public struct PrunePlan: Sendable, Hashable {
    /// The objects to prune, by wave, then kind order, name and namespace.
    public var prunes: [PruneTask]
    /// Objects the new revision no longer has that stay because they say `Prune=false`, in identity order.
    public var kept: [ObjectIdentity]

    /// A plan from its parts.
    public init(prunes: [PruneTask] = [], kept: [ObjectIdentity] = []) {
        self.prunes = prunes
        self.kept = kept
    }

    /// The distinct waves that prune something, in order.
    public var waves: [Int] { Array(Set(prunes.map(\.wave))).sorted() }

    /// The prunes of one wave, in order.
    public func prunes(inWave wave: Int) -> [PruneTask] { prunes.filter { $0.wave == wave } }

    /// Plans the prunes of a sync.
    ///
    /// - Parameters:
    ///   - inventory: the objects the application owns, with their live options and waves.
    ///   - desired: the identities of every object of the new revision (skipped ones included: they
    ///     are still the application's, just not applied).
    ///   - lastSyncWave: the largest wave of the new revision's Sync phase (``TaskPlan/lastSyncWave``),
    ///     `nil` when it has none.
    ///   - allowEmpty: let a revision prune every object the application owns (`--allow-empty`).
    /// - Throws: ``SyncEngineError`` `emptyRevision` when the inventory is not empty, the new revision
    ///   keeps none of its objects, something would be pruned, and `allowEmpty` is false. Objects kept
    ///   by `Prune=false` do not lift the guard: a revision that lost every object is almost always a
    ///   wrong path or a broken render, not a wish to delete everything else.
    public static func plan(
        inventory: [InventoryObject], desired: Set<ObjectIdentity>, lastSyncWave: Int?, allowEmpty: Bool = false
    ) throws(SyncEngineError) -> PrunePlan {
        try plan(inventory: inventory, isDesired: { desired.contains($0) }, lastSyncWave: lastSyncWave, allowEmpty: allowEmpty)
    }

    /// Plans the prunes of a sync; `isDesired` says whether the new revision has an object (see
    /// ``plan(inventory:desired:lastSyncWave:allowEmpty:)``).
    public static func plan(
        inventory: [InventoryObject], isDesired: (ObjectIdentity) -> Bool, lastSyncWave: Int?, allowEmpty: Bool = false
    ) throws(SyncEngineError) -> PrunePlan {
        let gone = inventory.filter { !isDesired($0.identity) }
        let candidates = gone.filter(\.prune)
        if !allowEmpty, !candidates.isEmpty, gone.count == inventory.count {
            throw SyncEngineError(
                .emptyRevision,
                "the new revision would prune all \(inventory.count) objects the application owns; "
                    + "check the repository path and the manifests, or sync with --allow-empty to prune them")
        }

        // PruneLast objects take no part in the mirroring: their own wave is overridden anyway, and it
        // must not shift the others (gitops-engine lets it; a PruneLast object at wave 9 would move
        // every wave-0 prune to wave 9).
        let distinct = Array(Set(candidates.filter { !$0.pruneLast }.map(\.wave))).sorted()
        var mirrored: [Int: Int] = [:]
        for (index, wave) in distinct.enumerated() {
            mirrored[wave] = distinct[distinct.count - 1 - index]
        }
        var prunes = candidates.map { object in
            PruneTask(
                identity: object.identity, wave: mirrored[object.wave] ?? object.wave, sourceWave: object.wave,
                pruneLast: object.pruneLast)
        }
        // As gitops-engine: the last wave counts the other prunes too, and is never below 0.
        let last = max(0, lastSyncWave ?? 0, prunes.filter { !$0.pruneLast }.map(\.wave).max() ?? 0)
        for index in prunes.indices where prunes[index].pruneLast {
            prunes[index].wave = last + 1
        }
        prunes.sort(by: precedes)
        let kept = gone.filter { !$0.prune }.map(\.identity).sorted()
        return PrunePlan(prunes: prunes, kept: kept)
    }

    private static func precedes(_ lhs: PruneTask, _ rhs: PruneTask) -> Bool {
        if lhs.wave != rhs.wave { return lhs.wave < rhs.wave }
        let lhsRank = TaskOrder.rank(ofKind: lhs.identity.kind)
        let rhsRank = TaskOrder.rank(ofKind: rhs.identity.kind)
        if lhsRank != rhsRank { return lhsRank < rhsRank }
        for (left, right) in [
            (lhs.identity.name, rhs.identity.name), (lhs.identity.namespace, rhs.identity.namespace),
            (lhs.identity.group, rhs.identity.group), (lhs.identity.kind, rhs.identity.kind),
        ] where left != right {
            return left.utf8.lexicographicallyPrecedes(right.utf8)
        }
        return false
    }
}
