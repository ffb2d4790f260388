import KubeClient
import KubeModel
import Manifests

extension SyncRunner {
    /// Releases the hooks an earlier sync of this application left behind (a process killed while
    /// its hook ran): the ones still carrying `sluice.dev/hook-finalizer`. The caller holds the
    /// application's sync lock, so no sync of it runs and none of these is waited for by anyone.
    /// Each loses the finalizer, so nothing is left `Terminating` for ever; a finished one then goes
    /// as its delete policy says for its result (`HookSucceeded`, `HookFailed`).
    ///
    /// Hooks are looked for among the kinds of the hooks in `manifests` (the revision's and the last
    /// applied one's, so a hook a commit removed is found too) and Jobs and Pods, in the namespaces
    /// those manifests use and the default one. Best effort: a failure to release one is logged and
    /// the sync goes on; the next sync tries again.
    func releaseStaleHooks(_ manifests: [ManifestSet]) async -> [ObjectIdentity] {
        var kinds: Set<GroupKind> = [GroupKind(group: "batch", kind: "Job"), GroupKind(group: "", kind: "Pod")]
        var namespaces: Set<String> = [client.defaultNamespace]
        for set in manifests {
            for manifest in set.manifests {
                if !manifest.identity.namespace.isEmpty { namespaces.insert(manifest.identity.namespace) }
                if manifest.settings.isHook { kinds.insert(manifest.identity.groupKind) }
            }
        }
        let prefix = configuration.app + ":"
        var released: [ObjectIdentity] = []
        for kind in kinds.sorted(by: { "\($0)" < "\($1)" }) {
            guard let gvk = try? await client.preferredVersion(of: kind) else { continue }
            for namespace in namespaces.sorted() {
                guard let list = try? await client.list(gvk, namespace: namespace, labelSelector: Tracking.selector) else { continue }
                for live in list.items
                where live.finalizers.contains(Tracking.hookFinalizer) && (live.annotations[Tracking.annotation] ?? "").hasPrefix(prefix) {
                    let identity = Tracking.identity(of: live, groupKind: kind)
                    if await release(live, gvk: gvk, identity: identity) { released.append(identity) }
                }
            }
        }
        return released
    }

    private func release(_ live: JSONValue, gvk: GroupVersionKind, identity: ObjectIdentity) async -> Bool {
        let remaining = live.finalizers.filter { $0 != Tracking.hookFinalizer }
        let patch: JSONValue = [
            "metadata": ["finalizers": .array(remaining.map(JSONValue.string)), "resourceVersion": .string(live.resourceVersion ?? "")],
        ]
        do {
            guard try await client.mergePatchUnlessConflict(gvk, identity, patch: patch) else { return false }
            let completion = HookCompletion.of(live)
            let policies = (try? SyncSettings(annotations: live.annotations))?.deletePolicies ?? []
            let delete: Bool
            switch completion {
            case .succeeded: delete = policies.contains(.hookSucceeded)
            case .failed: delete = policies.contains(.hookFailed)
            case .running: delete = false
            }
            if delete || live.deletionTimestamp != nil { _ = try await client.deleteIfPresent(gvk, identity) }
            logger.notice(
                "released a hook an earlier sync left behind",
                metadata: ["app": "\(configuration.app)", "hook": "\(identity)", "deleted": "\(delete)"])
            return true
        } catch {
            logger.warning(
                "cannot release a hook an earlier sync left behind; the next sync tries again",
                metadata: ["app": "\(configuration.app)", "hook": "\(identity)", "error": "\(error.message)"])
            return false
        }
    }
}
