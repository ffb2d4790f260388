import Foundation

// The words of a sync that every layer shares: what started it, how it ended, what each task did
// and the change set. The engine reports in them, the ledger stores them, the agent and the
// command line show them.

/// The identity of one attempt in the ledger (its row id).
public struct AttemptID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The row id.
    public let rawValue: Int64

    /// Wraps a row id.
    public init(_ rawValue: Int64) { self.rawValue = rawValue }

    /// Orders by row id, which is the order attempts were begun.
    public static func < (lhs: AttemptID, rhs: AttemptID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The row id as text.
    public var description: String { String(rawValue) }
}

/// What started a sync attempt.
public enum Trigger: String, Sendable, Hashable, CaseIterable {
    /// The poll timer found a new commit.
    case poll
    /// A forge's push webhook.
    case webhook
    /// `sluice sync` or the sync API.
    case manual
    /// `sluice rollback`.
    case rollback
    /// A retry of a failed revision after backoff.
    case retry
    /// The drift check found objects that differ from the last applied revision and `--self-heal` re-applied them.
    case selfHeal = "self-heal"
}

/// How an attempt ended, or `Running` while it runs.
public enum Outcome: String, Sendable, Hashable, CaseIterable {
    /// Every phase completed and every object became healthy.
    case succeeded = "Succeeded"
    /// A phase failed; see the attempt's message and its tasks.
    case failed = "Failed"
    /// The application's manifests did not change; nothing was applied and no hook ran.
    case unchanged = "Unchanged"
    /// A newer commit arrived and replaced this attempt.
    case superseded = "Superseded"
    /// The agent stopped during the attempt; found `Running` at the next start.
    case interrupted = "Interrupted"
    /// The attempt has not finished yet.
    case running = "Running"
}

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

/// The object-level change set of an attempt.
public struct ChangeSet: Sendable, Hashable {
    /// Objects that did not exist and were created.
    public var created: [ObjectIdentity]
    /// Objects that existed and were changed.
    public var configured: [ObjectIdentity]
    /// Objects that already matched.
    public var unchanged: [ObjectIdentity]
    /// Objects removed because the revision no longer contains them.
    public var pruned: [ObjectIdentity]

    /// Creates a change set; every list defaults to empty.
    public init(
        created: [ObjectIdentity] = [], configured: [ObjectIdentity] = [], unchanged: [ObjectIdentity] = [],
        pruned: [ObjectIdentity] = []
    ) {
        self.created = created
        self.configured = configured
        self.unchanged = unchanged
        self.pruned = pruned
    }

    /// True when all four lists are empty.
    public var isEmpty: Bool { created.isEmpty && configured.isEmpty && unchanged.isEmpty && pruned.isEmpty }
}
