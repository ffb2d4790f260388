import KubeModel
import Manifests

extension SyncRunner {
    /// Refuses a sync whose revision holds objects the cluster has tracked for another application,
    /// before anything is applied, recording one failed task per object.
    ///
    /// Argo CD only warns (`SharedResourceWarning`) and lets the last sync win, so two applications
    /// claiming one object overwrite each other for ever. Here the second is refused, naming the
    /// object and both applications, until a person removes the object from one of them or
    /// annotates the live object `sluice.dev/allow-shared: "true"` (then the sync takes it over, as
    /// before). The refusal is Stalled: it will not fix itself.
    func refuseSharedObjects(_ preparation: SyncPreparation, attempt: AttemptID?) async throws {
        let claimed = preparation.plan.tasks.filter { !$0.isHook }.compactMap { task -> (SyncTask, String)? in
            preparation.claimedByOthers[task.identity].map { (task, $0) }
        }
        guard !claimed.isEmpty else { return }
        let app = configuration.app
        func describe(_ task: SyncTask) -> String {
            "\(task.kind) \(task.namespace.isEmpty ? "" : task.namespace + "/")\(task.name)"
        }
        if let attempt {
            for (task, owner) in claimed {
                _ = try await recording.beginTask(
                    in: attempt, phase: task.phase.rawValue, wave: task.wave, object: task.identity, hook: false, action: .skipped,
                    status: .failed,
                    message: "\(task.manifest.file): \(describe(task)) is tracked by application \(owner), not \(app)")
            }
        }
        let listed = claimed.prefix(10).map { "\(describe($0.0)) (\($0.0.manifest.file)) is tracked by application \($0.1)" }
        let more = claimed.count > 10 ? " (and \(claimed.count - 10) more)" : ""
        throw SyncEngineError(
            .sharedObject,
            "application \(app) would take over \(claimed.count == 1 ? "an object" : "\(claimed.count) objects") another application tracks; "
                + "nothing was applied: \(listed.joined(separator: "; "))\(more). Remove \(claimed.count == 1 ? "it" : "them") from one "
                + "application, or annotate the live object \(Tracking.allowSharedAnnotation)=true to let \(app) take it over")
    }
}
