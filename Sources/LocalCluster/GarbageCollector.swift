import Foundation
import KubeModel

/// Who owns whom: every object's uid, and the dependents of each owner uid, kept current from the
/// store's events so that the garbage collector never scans the whole store.
struct OwnerIndex {
    var byUID: [String: ObjectRef] = [:]
    var dependents: [String: Set<ObjectRef>] = [:]
    var owners: [ObjectRef: [String]] = [:]

    /// Updates the index for one event; returns the existing owners of the object.
    mutating func record(_ event: StoreEvent, ref: ObjectRef) -> [ObjectRef] {
        let ownerUIDs = event.object.ownerReferences.map(\.uid)
        for old in owners[ref] ?? [] where !ownerUIDs.contains(old) || event.kind == .deleted {
            dependents[old]?.remove(ref)
            if dependents[old]?.isEmpty == true { dependents[old] = nil }
        }
        if event.kind == .deleted {
            owners[ref] = nil
            if let uid = event.object.uid { byUID[uid] = nil }
        } else {
            owners[ref] = ownerUIDs.isEmpty ? nil : ownerUIDs
            for uid in ownerUIDs { dependents[uid, default: []].insert(ref) }
            if let uid = event.object.uid { byUID[uid] = ref }
        }
        return ownerUIDs.compactMap { byUID[$0] }
    }

    func liveDependents(of uid: String) -> [ObjectRef] {
        Array(dependents[uid] ?? [])
    }
}

extension ControllerManager {
    /// Background deletion: dependents of a deleted owner that have no other live owner go too.
    func collectDependents(ofDeleted owner: JSONValue) {
        guard let uid = owner.uid else { return }
        let (dependents, orphaned) = index.withLock { index -> ([ObjectRef], [ObjectRef]) in
            let dependents = index.liveDependents(of: uid)
            let orphaned = dependents.filter { ref in
                (index.owners[ref] ?? []).allSatisfy { index.byUID[$0] == nil }
            }
            return (dependents, orphaned)
        }
        _ = dependents
        for ref in orphaned { api.internalDelete(ref.resource, ref.key) }
    }

    /// Runs the cluster's own finalizers of an object being deleted: a namespace's contents, and
    /// foreground and orphan deletion.
    func finalize(_ object: JSONValue, resource: GroupResource, key: ObjectKey) {
        if resource == Resources.namespaces {
            finalizeNamespace(object, key: key)
            return
        }
        let finalizers = object.finalizers
        guard let uid = object.uid else { return }
        if finalizers.contains("orphan") {
            for ref in index.withLock({ $0.liveDependents(of: uid) }) {
                api.internalUpdate(ref.resource, ref.key) { dependent in
                    dependent.ownerReferences = dependent.ownerReferences.filter { $0.uid != uid }
                }
            }
            api.internalUpdate(resource, key) { $0.finalizers = $0.finalizers.filter { $0 != "orphan" } }
        }
        if finalizers.contains("foregroundDeletion") {
            let dependents = index.withLock { $0.liveDependents(of: uid) }.filter { api.store.get($0.resource, $0.key) != nil }
            if dependents.isEmpty {
                api.internalUpdate(resource, key) { $0.finalizers = $0.finalizers.filter { $0 != "foregroundDeletion" } }
                setTimed(resource, key, false)
            } else {
                for ref in dependents { api.internalDelete(ref.resource, ref.key, propagation: "Foreground") }
                setTimed(resource, key, true)
            }
        }
    }

    /// A terminating namespace: delete everything in it; when it is empty, remove it.
    private func finalizeNamespace(_ namespace: JSONValue, key: ObjectKey) {
        let name = key.name
        let remaining = api.store.resources(withObjectsIn: name)
        if remaining.isEmpty {
            setTimed(Resources.namespaces, key, false)
            api.internalUpdate(Resources.namespaces, key) { namespace in
                namespace[path: ["spec", "finalizers"]] = nil
                namespace[path: ["status", "phase"]] = "Terminating"
            }
            if let current = api.store.get(Resources.namespaces, key), current.finalizers.isEmpty {
                _ = try? api.store.mutate(Resources.namespaces, key) { _ in .delete }
            }
            return
        }
        setTimed(Resources.namespaces, key, true)
        for resource in remaining {
            for item in api.store.list(resource, namespace: name).items where item.deletionTimestamp == nil {
                api.internalDelete(resource, ObjectKey(namespace: name, name: item.name ?? ""))
            }
        }
    }
}
