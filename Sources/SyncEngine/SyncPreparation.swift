import Foundation
import KubeClient
import KubeModel
import Manifests

/// Everything a sync works out before it changes anything: the ordered tasks, which objects changed
/// since the last applied revision, what the cluster holds of them, and what to prune.
///
/// `sluice plan` stops here; a sync goes on to execute it.
struct SyncPreparation: Sendable {
    var plan: TaskPlan
    var inventory: Inventory
    /// The live objects Sluice manages, of every kind the revision has, by identity (one list per kind).
    var live: [ObjectIdentity: JSONValue]
    /// Objects whose manifest differs from the last applied revision's (or all, without one or with `full`).
    var changed: Set<ObjectIdentity>
    var prunePlan: PrunePlan
    /// Inventory objects already gone from the cluster, or taken over by someone else: dropped from the inventory.
    var forgotten: Set<ObjectIdentity>
    /// True when the manifests are only those of a change (a plan of a change): objects outside it
    /// are taken to be in place, without listing their kinds.
    var partial = false
    /// Objects of the revision that the cluster holds tracked for another application (by name)
    /// and that do not allow sharing: the sync is refused before anything is applied.
    var claimedByOthers: [ObjectIdentity: String] = [:]

    /// True when the task's object must be sent: hooks always, normal objects when changed or missing.
    /// The server's warnings from each object's dry run (deprecated APIs, fields a client-side
    /// apply drops): the ledger keeps them on the object's task.
    var warnings: [ObjectIdentity: [String]] = [:]

    /// Changed objects (all of them when there is no base revision to compare with: a person's
    /// sync, a drift check) whose live object already holds what the sync would send, as Sluice
    /// last applied it (``Tracking/isInPlace(_:live:)``): an apply would change nothing, so they are
    /// neither dry-run nor applied again. Empty under `--full`, which sends every object.
    var inPlace: Set<ObjectIdentity> = []

    func needsSend(_ task: SyncTask) -> Bool {
        task.isHook || (changed.contains(task.identity) && !inPlace.contains(task.identity)) || (!partial && live[task.identity] == nil)
    }

    /// The tasks of `plan` whose object is in place live (see ``inPlace``). Objects replaced or
    /// forced are always sent, as the options ask.
    static func inPlace(
        _ plan: TaskPlan, changed: Set<ObjectIdentity>, live: [ObjectIdentity: JSONValue], app: String
    ) -> Set<ObjectIdentity> {
        var found = Set<ObjectIdentity>()
        for task in plan.tasks where !task.isHook && changed.contains(task.identity) {
            let options = task.manifest.settings.options
            guard !options.replace, !options.force, let current = live[task.identity] else { continue }
            if Tracking.isInPlace(Tracking.marked(task.object, app: app, identity: task.identity, hook: false), live: current) {
                found.insert(task.identity)
            }
        }
        return found
    }

    /// Works out the preparation for a request.
    static func prepare(
        request: SyncRequest, configuration: SyncConfiguration, client: KubeClient, attemptStart: Int64, store: InventoryStore
    ) async throws -> SyncPreparation {
        let inventory: Inventory
        if let known = request.inventory {
            inventory = known
        } else {
            do {
                inventory = try await store.read() ?? Inventory()
            } catch {
                throw SyncEngineError(.cluster, "cannot read the inventory of \(configuration.app): \(error.message)")
            }
        }
        var plan = TaskPlanner.plan(request.manifests, revision: request.revision, attemptStart: attemptStart)
        if !request.runHooks {
            plan.tasks = plan.tasks.filter { !$0.isHook }
            plan.syncFailTasks = []
        }

        var changed = Set<ObjectIdentity>()
        let base = configuration.full ? nil : request.baseManifests?.byIdentity
        for manifest in request.manifests.manifests {
            if let before = base?[manifest.identity], before.object == manifest.object { continue }
            changed.insert(manifest.identity)
        }

        let found: LiveObjects
        let manifestIdentities = Set(request.manifests.manifests.map(\.identity))
        // Whether the revision has an object, and the inventory's objects it no longer has. When
        // only the change is known, every inventory object the change did not remove is kept:
        // worked out from the change alone, never by copying an inventory of thousands.
        let isDesired: (ObjectIdentity) -> Bool
        let goneFromInventory: [ObjectIdentity]
        if let removed = request.removedByChange {
            // Only the change is known: read its objects one by one.
            found = try await liveObjects(plan.tasks.filter { !$0.isHook && changed.contains($0.identity) }, app: configuration.app, client: client)
            let objects = inventory.objects
            isDesired = { manifestIdentities.contains($0) || (objects.contains($0) && !removed.contains($0)) }
            goneFromInventory = removed.filter { objects.contains($0) && !manifestIdentities.contains($0) }.sorted()
        } else {
            found = try await liveIndex(plan: plan, app: configuration.app, client: client)
            isDesired = { manifestIdentities.contains($0) }
            goneFromInventory = inventory.objects.subtracting(manifestIdentities).sorted()
        }
        let live = found.own

        // Prune candidates: what the inventory lists and the revision no longer has, read live.
        var candidates: [InventoryObject] = []
        var forgotten = Set<ObjectIdentity>()
        var kept = Set<ObjectIdentity>()
        for identity in goneFromInventory {
            guard let object = try await liveObject(identity, kinds: request.manifests, client: client) else {
                forgotten.insert(identity)
                continue
            }
            guard object.annotations[Tracking.annotation] == Tracking.id(app: configuration.app, identity) else {
                forgotten.insert(identity)
                continue
            }
            if !configuration.prune {
                kept.insert(identity)
                continue
            }
            candidates.append(InventoryObject(identity: identity, live: object))
        }
        var prunePlan: PrunePlan
        do {
            // The guard counts the whole inventory that is still live, not only the candidates.
            // Objects the revision keeps only count (one stands for all): they are never pruned.
            let keptByRevision = inventory.objects.first(where: isDesired).map { [InventoryObject(identity: $0)] } ?? []
            let liveInventory = candidates + kept.map { InventoryObject(identity: $0, prune: false) } + keptByRevision
            prunePlan = try PrunePlan.plan(
                inventory: liveInventory, isDesired: isDesired, lastSyncWave: plan.lastSyncWave, allowEmpty: configuration.allowEmpty)
        } catch {
            throw error
        }
        prunePlan.kept = (prunePlan.kept + kept).sorted()
        var preparation = SyncPreparation(
            plan: plan, inventory: inventory, live: live, changed: changed, prunePlan: prunePlan, forgotten: forgotten,
            partial: request.removedByChange != nil)
        preparation.claimedByOthers = found.others.filter { !Tracking.allowsSharing($0.value.live) }.mapValues { $0.owner }
        if !configuration.full {
            preparation.inPlace = inPlace(plan, changed: changed, live: live, app: configuration.app)
        }
        return preparation
    }

    /// Live objects of the revision as a listing found them: those tracked for this application,
    /// and those tracked for another one, with its name.
    struct LiveObjects: Sendable {
        var own: [ObjectIdentity: JSONValue] = [:]
        var others: [ObjectIdentity: (owner: String, live: JSONValue)] = [:]

        /// Sorts one live object of `identity` into ``own`` or ``others`` (or neither, when it is
        /// not tracked by anyone).
        mutating func add(_ object: JSONValue, _ identity: ObjectIdentity, app: String) {
            guard let owner = Tracking.owner(of: object, identity) else { return }
            if owner == app {
                own[identity] = object
            } else {
                others[identity] = (owner, object)
            }
        }
    }

    static func readLive(_ gvk: GroupVersionKind, _ identity: ObjectIdentity, client: KubeClient) async throws(SyncEngineError) -> JSONValue? {
        do {
            return try await client.getIfPresent(gvk, identity)
        } catch {
            if error.code == .notServed { return nil }
            throw SyncEngineError(.cluster, "cannot read \(identity): \(error.message)")
        }
    }

    /// The live objects of some tasks, read one by one (for a change of a few objects, cheaper than
    /// listing whole kinds), sorted by who tracks them.
    static func liveObjects(_ tasks: [SyncTask], app: String, client: KubeClient) async throws -> LiveObjects {
        let read = try await BoundedConcurrency.map(tasks, limit: 16, over: client) { task -> (ObjectIdentity, JSONValue?) in
            guard let gvk = task.manifest.object.groupVersionKind else { return (task.identity, nil) }
            return (task.identity, try await readLive(gvk, task.identity, client: client))
        }
        var found = LiveObjects()
        for (identity, object) in read {
            if let object { found.add(object, identity, app: app) }
        }
        return found
    }

    /// One list per kind of the plan's normal objects, by Sluice's label, of the objects tracked for
    /// `app` (and of the plan's objects tracked for another application): in each of the kind's
    /// namespaces when they are few, so that an application's check does not read every other
    /// application's objects; across all namespaces otherwise.
    static func liveIndex(plan: TaskPlan, app: String, client: KubeClient) async throws -> LiveObjects {
        var kinds: [GroupKind: (gvk: GroupVersionKind, namespaces: Set<String>)] = [:]
        var desired = Set<ObjectIdentity>()
        for task in plan.tasks where !task.isHook {
            guard let gvk = task.manifest.object.groupVersionKind else { continue }
            kinds[gvk.groupKind, default: (gvk, [])].namespaces.insert(task.identity.namespace)
            desired.insert(task.identity)
        }
        var found = LiveObjects()
        for (groupKind, entry) in kinds.sorted(by: { $0.key.description < $1.key.description }) {
            // Cluster-scoped kinds have "" as their only namespace, listed as a whole.
            let scopes: [String?] = entry.namespaces.count <= Self.namespacesListedApart && !entry.namespaces.contains("")
                ? entry.namespaces.sorted().map { $0 } : [nil]
            for namespace in scopes {
                let list: ObjectList
                do {
                    list = try await client.list(entry.gvk, namespace: namespace, labelSelector: Tracking.selector)
                } catch {
                    // A kind whose CustomResourceDefinition comes with this revision is not served yet,
                    // or a namespace it creates does not exist yet.
                    if error.code == .notServed || error.code == .notFound { continue }
                    throw SyncEngineError(.cluster, "cannot list \(groupKind): \(error.message)")
                }
                for item in list.items {
                    let identity = Tracking.identity(of: item, groupKind: groupKind)
                    // Another application's objects matter only where this revision has the same one.
                    guard Tracking.owner(of: item, identity) == app || desired.contains(identity) else { continue }
                    found.add(item, identity, app: app)
                }
            }
        }
        return found
    }

    /// Up to this many namespaces, a kind is listed namespace by namespace.
    static let namespacesListedApart = 4

    /// The live object of an inventory entry, or `nil` when it is gone (or its kind is no longer served).
    static func liveObject(_ identity: ObjectIdentity, kinds: ManifestSet, client: KubeClient) async throws -> JSONValue? {
        do {
            guard let gvk = try await groupVersionKind(of: identity.groupKind, client: client) else { return nil }
            return try await client.getIfPresent(gvk, identity)
        } catch {
            if error.code == .notServed { return nil }
            throw SyncEngineError(.cluster, "cannot read \(identity) to prune it: \(error.message)")
        }
    }

    /// The preferred version of a group and kind, from discovery.
    static func groupVersionKind(of groupKind: GroupKind, client: KubeClient) async throws(KubeClientError) -> GroupVersionKind? {
        try await client.preferredVersion(of: groupKind)
    }
}
