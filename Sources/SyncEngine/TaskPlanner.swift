import KubeModel
import Manifests

/// What a sync of one revision will apply, in order.
public struct TaskPlan: Sendable, Hashable {
    /// PreSync, Sync and PostSync tasks in the order they run (``TaskOrder/order(_:)``).
    public var tasks: [SyncTask]
    /// SyncFail hooks, in order; they run only when the sync fails, all at once.
    public var syncFailTasks: [SyncTask]
    /// Objects that are not applied (`Skip`, hooks of phases Sluice does not run), in order, each as a
    /// Sync-phase task at its wave, so they can be reported.
    public var skipped: [SyncTask]

    /// A plan from its parts.
    public init(tasks: [SyncTask] = [], syncFailTasks: [SyncTask] = [], skipped: [SyncTask] = []) {
        self.tasks = tasks
        self.syncFailTasks = syncFailTasks
        self.skipped = skipped
    }

    /// ``tasks`` in groups of one (phase, wave), each in runs of one kind.
    public var groups: [TaskGroup] { TaskOrder.groups(tasks) }

    /// The largest wave of the Sync phase (`nil` without Sync tasks): `PruneLast` prunes come after it.
    public var lastSyncWave: Int? {
        tasks.lazy.filter { $0.phase == .sync }.map(\.wave).max()
    }
}

/// Turns a revision's manifests into sync tasks (SYNC-SEMANTICS.md, "Ordering" and "Hook names").
public enum TaskPlanner {
    /// The tasks for one attempt at syncing a revision.
    ///
    /// A normal object is one Sync-phase task at its wave. A hook is one task per phase it lists,
    /// named by ``HookName/generated(prefix:revision:phase:attemptStart:)`` when it has no name (a
    /// `generateName`, or nothing). Skipped objects become ``TaskPlan/skipped``. SyncFail hooks are kept apart.
    ///
    /// - Parameters:
    ///   - manifests: the revision's objects.
    ///   - revision: the commit being synced, for hook names.
    ///   - attemptStart: when this attempt started, in seconds since the Unix epoch, for hook names.
    public static func plan(_ manifests: ManifestSet, revision: String, attemptStart: Int64) -> TaskPlan {
        var tasks: [SyncTask] = []
        var skipped: [SyncTask] = []
        for manifest in manifests.manifests {
            let settings = manifest.settings
            if settings.skip || (settings.isHook && settings.hookPhases.isEmpty) {
                skipped.append(SyncTask(phase: .sync, wave: settings.wave, manifest: manifest, isSkipped: true))
                continue
            }
            for phase in settings.phases {
                let name = taskName(manifest, phase: phase, revision: revision, attemptStart: attemptStart)
                tasks.append(SyncTask(phase: phase, wave: settings.wave, manifest: manifest, name: name, isHook: settings.isHook))
            }
        }
        let ordered = TaskOrder.order(tasks)
        return TaskPlan(
            tasks: ordered.filter { $0.phase != .syncFail },
            syncFailTasks: ordered.filter { $0.phase == .syncFail },
            skipped: skipped.sorted(by: TaskOrder.precedes))
    }

    /// The object's name, or for a hook without one (only a `generateName`, or no name at all),
    /// the name derived for this phase of this attempt.
    static func taskName(_ manifest: Manifest, phase: HookPhase, revision: String, attemptStart: Int64) -> String {
        if let name = manifest.object.name, !name.isEmpty { return name }
        guard manifest.settings.isHook else { return manifest.identity.name }
        return HookName.generated(prefix: manifest.object.generateName ?? "", revision: revision, phase: phase, attemptStart: attemptStart)
    }
}
