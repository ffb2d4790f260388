import Foundation
import KubeModel

/// One task of an attempt: applying, pruning or running one object in one phase.
public struct TaskRecord: Sendable, Hashable {
    /// The task's identity in this ledger.
    public var id: TaskID
    /// The attempt it belongs to.
    public var attempt: AttemptID
    /// Its place in execution order within the attempt, from 1.
    public var position: Int
    /// The phase: `PreSync`, `Sync`, `PostSync`, `SyncFail` (or `Prune`, as the engine names it).
    public var phase: String
    /// The sync wave.
    public var wave: Int
    /// The object the task acts on.
    public var object: ObjectIdentity
    /// Whether the object is a hook.
    public var hook: Bool
    /// What the task did.
    public var action: TaskAction
    /// Where the task stands.
    public var status: TaskStatus
    /// What happened (an error, a hook's result); empty when there is nothing to say.
    public var message: String
    /// When the task started.
    public var startedAt: Date
    /// When the task finished; `nil` while it runs.
    public var finishedAt: Date?
    /// The captured hook Pod logs, with a note in front when the start was cut; `nil` if none was recorded.
    public var log: String?
}
