import Foundation

/// The identity of one task in the ledger (its row id).
public struct TaskID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The row id.
    public let rawValue: Int64

    /// Wraps a row id.
    public init(_ rawValue: Int64) { self.rawValue = rawValue }

    /// Orders by row id.
    public static func < (lhs: TaskID, rhs: TaskID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The row id as text.
    public var description: String { String(rawValue) }
}

/// What a task did to its object.
public enum TaskAction: String, Sendable, Hashable, CaseIterable {
    /// The object did not exist and was created.
    case created
    /// The object existed and was changed.
    case configured
    /// The object existed and already matched.
    case unchanged
    /// The object was removed because the revision no longer contains it.
    case pruned
    /// The object (a hook) was deleted by a delete policy.
    case deleted
    /// The object was not applied (a `Skip` hook, an unknown hook phase, ...).
    case skipped
}

/// Where a task stands.
public enum TaskStatus: String, Sendable, Hashable, CaseIterable {
    /// The task completed (for a hook: the hook succeeded).
    case succeeded = "Succeeded"
    /// The task failed.
    case failed = "Failed"
    /// The task has started and not finished.
    case running = "Running"
    /// The task was not run.
    case skipped = "Skipped"
}

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
    public var object: ObjectKey
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
