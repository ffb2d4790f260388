import KubeModel
/// One attempt with its tasks and change set: what `sluice show` prints.
public struct AttemptDetail: Sendable, Hashable {
    /// The attempt.
    public var attempt: Attempt
    /// Its tasks in execution order.
    public var tasks: [TaskRecord]
    /// Its change set.
    public var changes: ChangeSet

    /// Creates a detail.
    public init(attempt: Attempt, tasks: [TaskRecord], changes: ChangeSet) {
        self.attempt = attempt
        self.tasks = tasks
        self.changes = changes
    }
}
