import KubeModel
import Manifests

/// Tasks of one kind that follow each other inside a group: they are applied concurrently.
public struct TaskRun: Sendable, Hashable {
    /// The group and kind every task of the run shares.
    public var groupKind: GroupKind
    /// The tasks, in order.
    public var tasks: [SyncTask]

    /// A run of tasks of one kind.
    public init(groupKind: GroupKind, tasks: [SyncTask]) {
        self.groupKind = groupKind
        self.tasks = tasks
    }
}

/// Consecutive tasks sharing a phase and wave: the unit a sync finishes (healthy, hooks complete)
/// before it starts the next.
public struct TaskGroup: Sendable, Hashable {
    /// The phase of every task in the group.
    public var phase: HookPhase
    /// The wave of every task in the group.
    public var wave: Int
    /// Runs of consecutive same-kind tasks, applied one run after another.
    public var runs: [TaskRun]

    /// A group from its runs.
    public init(phase: HookPhase, wave: Int, runs: [TaskRun]) {
        self.phase = phase
        self.wave = wave
        self.runs = runs
    }

    /// Every task of the group, in order.
    public var tasks: [SyncTask] { runs.flatMap(\.tasks) }
}

extension TaskOrder {
    /// Splits ordered tasks (the result of ``order(_:)``) into groups of consecutive tasks sharing
    /// (phase, wave), and each group into runs of consecutive tasks of the same group and kind.
    ///
    /// Only neighbours are joined: the order is kept as it is, so a (phase, wave) that comes back
    /// after another one starts a new group.
    public static func groups(_ tasks: [SyncTask]) -> [TaskGroup] {
        var groups: [TaskGroup] = []
        for task in tasks {
            if var group = groups.last, group.phase == task.phase, group.wave == task.wave {
                if var run = group.runs.last, run.groupKind == task.groupKind {
                    run.tasks.append(task)
                    group.runs[group.runs.count - 1] = run
                } else {
                    group.runs.append(TaskRun(groupKind: task.groupKind, tasks: [task]))
                }
                groups[groups.count - 1] = group
            } else {
                groups.append(TaskGroup(phase: task.phase, wave: task.wave, runs: [TaskRun(groupKind: task.groupKind, tasks: [task])]))
            }
        }
        return groups
    }
}
