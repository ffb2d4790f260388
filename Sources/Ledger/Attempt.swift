import Foundation

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

/// One sync attempt of one revision of one application.
public struct Attempt: Sendable, Hashable {
    /// The attempt's identity in this ledger.
    public var id: AttemptID
    /// The application's name.
    public var app: String
    /// The commit's 40-hex id.
    public var revision: String
    /// 1 for the first attempt of this revision of this application, then 2, 3, ...
    public var number: Int
    /// The full ref name that resolved to the revision, e.g. `refs/heads/main`.
    public var ref: String
    /// The commit's author.
    public var author: String
    /// The commit's message.
    public var message: String
    /// What started the attempt.
    public var trigger: Trigger
    /// When the attempt began.
    public var startedAt: Date
    /// When the attempt ended; `nil` while it runs.
    public var finishedAt: Date?
    /// How it ended, or `Running`.
    public var outcome: Outcome
    /// The last phase the attempt entered (`Validate`, `PreSync`, `Sync`, ...); `nil` before the first.
    public var phaseReached: String?
    /// Why the attempt ended as it did (the failure, what superseded it); empty when there is nothing to say.
    public var outcomeMessage: String
    /// The SHA-256 (hex) of the rendered manifests recorded for this attempt, if any.
    public var manifestDigest: String?
}
