import Foundation
import KubeModel

/// Who owns whom: every object's uid, and the dependents of each owner uid. The store keeps it
/// in step with every write, under its own lock, so the garbage collector sees exactly the
/// current ownership and never scans the whole store.
struct OwnerIndex: Sendable {
    var byUID: [String: ObjectRef] = [:]
    var dependents: [String: Set<ObjectRef>] = [:]
    var owners: [ObjectRef: [String]] = [:]

    /// Records that `ref` now is `object` (nil: deleted).
    mutating func update(_ ref: ObjectRef, old: JSONValue?, new object: JSONValue?) {
        let ownerUIDs = object?.ownerReferences.map(\.uid) ?? []
        for previous in owners[ref] ?? [] where !ownerUIDs.contains(previous) {
            dependents[previous]?.remove(ref)
            if dependents[previous]?.isEmpty == true { dependents[previous] = nil }
        }
        owners[ref] = ownerUIDs.isEmpty ? nil : ownerUIDs
        for uid in ownerUIDs { dependents[uid, default: []].insert(ref) }
        if let uid = old?.uid, object == nil || object?.uid != uid { byUID[uid] = nil }
        if let uid = object?.uid { byUID[uid] = ref }
    }
}

extension ControllerManager {
    /// Background deletion: dependents of a deleted owner that have no other live owner go too.
    func collectDependents(ofDeleted owner: JSONValue) {
        guard let uid = owner.uid else { return }
        let orphaned = api.store.withOwnerIndex { index in
            (index.dependents[uid] ?? []).filter { ref in
                (index.owners[ref] ?? []).allSatisfy { index.byUID[$0] == nil }
            }
        }
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
            for ref in api.store.dependents(of: uid) {
                api.internalUpdate(ref.resource, ref.key) { dependent in
                    dependent.ownerReferences = dependent.ownerReferences.filter { $0.uid != uid }
                }
            }
            api.internalUpdate(resource, key) { $0.finalizers = $0.finalizers.filter { $0 != "orphan" } }
        }
        if finalizers.contains("foregroundDeletion") {
            let dependents = api.store.dependents(of: uid)
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
