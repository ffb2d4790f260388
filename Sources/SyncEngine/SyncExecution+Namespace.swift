import KubeClient
import KubeModel
import Manifests

extension SyncExecution {
    /// Creates (or labels) the application's namespace when the application asks for it
    /// (``SyncConfiguration/createNamespace``): before any other task, PreSync hooks included, as a
    /// PreSync task of its own in the ledger. Not added to the inventory, so never pruned.
    func createManagedNamespace() async throws {
        guard let namespace = configuration.createNamespace else { return }
        let first = preparation.plan.tasks.first
        let wave = first?.phase == .preSync ? min(first?.wave ?? 0, 0) : 0
        try await enter(HookPhase.preSync.rawValue)
        let ledgerTask = try await begin(.preSync, wave: wave, namespace.identity, hook: false, action: .created)
        let existing: JSONValue?
        let applied: JSONValue
        do {
            existing = try await client.getIfPresent(ManagedNamespace.gvk, namespace.identity)
            applied = try await client.apply(namespace.object)
        } catch {
            let message = "cannot create the application's namespace \(namespace.name): \(error.message)"
            try await finish(ledgerTask, .failed, message: message)
            throw SyncEngineError(error.code == .unreachable ? .cluster : .applyFailed, message)
        }
        let action: TaskAction
        if existing == nil {
            action = .created
        } else if existing?.resourceVersion == applied.resourceVersion {
            action = .unchanged
        } else {
            action = .configured
        }
        try await finish(ledgerTask, .succeeded, action: action)
    }
}
