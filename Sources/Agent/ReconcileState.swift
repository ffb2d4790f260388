import Delivery
import GitSource
import KubeModel
import SyncEngine

/// How a reconcile ended, in the classes Flux's reconcilers use; what happens next follows from it
/// alone (``ReconcileState``), and `sluice status` shows it.
public enum ReconcileResult: Sendable, Hashable {
    /// The revision is applied, or nothing under the path changed: follow the next commit.
    case ready(revision: String)
    /// The sync of the revision ran and failed (a hook, health, an apply, a prune): retried per
    /// the retry policy, then left until a new commit.
    case failed(revision: String, reason: String)
    /// Deterministic, so retrying cannot help: invalid or refused manifests, a signature that is
    /// not trusted, a path that does not exist, nothing to apply, a dry run the server rejects, an
    /// object another application tracks, an unusable source setting. Not retried until a new
    /// commit or new settings. `revision` is `nil` when the source itself is refused (no commit to
    /// wait past).
    case stalled(revision: String?, reason: String)
    /// Network, 5xx, timeouts, conflicts, a ledger that cannot be written: retried with back-off.
    case transient(reason: String)

    /// The class `sluice status` shows: `stalled`, `sync`, `transient`; `nil` when ready.
    var errorClass: String? {
        switch self {
        case .ready: return nil
        case .failed: return "sync"
        case .stalled: return "stalled"
        case .transient: return "transient"
        }
    }

    /// The result of a recorded sync.
    static func of(_ result: SyncResult, revision: String) -> ReconcileResult {
        switch result.outcome {
        case .succeeded, .unchanged:
            return .ready(revision: revision)
        default:
            let reason = result.message
            switch result.error?.code {
            case .some(.invalidManifests), .some(.validationFailed), .some(.emptyRevision), .some(.pathNotFound), .some(.sourceRefused),
                .some(.signatureRefused), .some(.sharedObject):
                return .stalled(revision: revision, reason: reason)
            case .some(.cluster):
                return .transient(reason: reason)
            default:
                return .failed(revision: revision, reason: reason)
            }
        }
    }

    /// The result of a source that could not be checked or fetched: an unusable setting (a URL or
    /// ref spec that cannot work) stalls; the rest (the network, the server, credentials the server
    /// may accept again) is retried with back-off.
    static func of(sourceError error: any Error) -> ReconcileResult {
        if let error = error as? GitSourceError, error.code == .invalidInput {
            return .stalled(revision: nil, reason: error.message)
        }
        return .transient(reason: (error as? GitSourceError)?.message ?? "\(error)")
    }
}

/// What a reconciler remembers between ticks, and every decision taken from it: whether a tick
/// syncs, which trigger it records, how long until the next one. Pure (no I/O, no clock of its
/// own), so each rule is tested on its own.
struct ReconcileState: Sendable {
    /// The last revision handled (applied, or found unchanged).
    var lastSeen: String?
    /// The revision whose sync failed, and how many times in a row.
    var failing: (revision: String, failures: Int)?
    /// The revision the application stalled on (`""` for a refused source); not tried again until
    /// a new commit or new settings (new settings start a new reconciler).
    var stalled: String?
    /// Transient errors in a row, for the back-off.
    var transientFailures = 0

    /// What a tick does.
    enum Decision: Sendable, Equatable {
        /// Nothing: no fetch, no cluster request, no attempt recorded; why.
        case idle(String)
        /// Fetch and sync the head, recorded with this trigger.
        case sync(Trigger)
    }

    /// Whether the failed revision's retry is still to come.
    func retryPending(_ retry: RetryPolicy) -> Bool {
        guard let failing else { return false }
        return failing.failures <= retry.limit
    }

    /// The trigger of the next timed tick: a retry while one is pending, else a poll.
    func nextTrigger(_ retry: RetryPolicy) -> Trigger {
        retryPending(retry) ? .retry : .poll
    }

    /// Whether a tick with `trigger` that found `head` syncs it. A person's sync (manual, rollback)
    /// always does, even on a stalled head; nothing else repeats the applied head, a stalled head,
    /// or a failed head past its retries, so repeated webhooks and polls record no attempt.
    func decide(trigger: Trigger, head: String, quarantined: Set<String>, retry: RetryPolicy) -> Decision {
        if quarantined.contains(head), trigger != .manual { return .idle("\(head.prefix(12)) is quarantined by a rollback") }
        switch trigger {
        case .manual, .rollback:
            return .sync(trigger)
        case .retry where head == failing?.revision:
            return retryPending(retry) ? .sync(.retry) : .idle("the retries of \(head.prefix(12)) are used up; waiting for a new commit")
        default:
            if head == lastSeen { return .idle("\(head.prefix(12)) is applied") }
            if head == stalled { return .idle("stalled on \(head.prefix(12)); waiting for a new commit or new settings") }
            if head == failing?.revision {
                return .idle(retryPending(retry) ? "\(head.prefix(12)) waits for its retry" : "\(head.prefix(12)) failed; waiting for a new commit")
            }
            return .sync(trigger == .retry ? .poll : trigger)
        }
    }

    /// A failed revision whose pending retry a sync of `head` supersedes, if any.
    func superseded(by head: String, retry: RetryPolicy) -> String? {
        guard let failing, failing.revision != head, retryPending(retry) else { return nil }
        return failing.revision
    }

    /// Takes a reconcile's result into account.
    mutating func record(_ result: ReconcileResult) {
        switch result {
        case .ready(let revision):
            lastSeen = revision
            failing = nil
            stalled = nil
            transientFailures = 0
        case .failed(let revision, _):
            failing = (revision, failing?.revision == revision ? (failing?.failures ?? 0) + 1 : 1)
            stalled = nil
            transientFailures = 0
        case .stalled(let revision, _):
            stalled = revision ?? ""
            failing = nil
            transientFailures = 0
        case .transient:
            transientFailures += 1
        }
    }

    /// Forgets a failure that a newer commit superseded (its retry will not come).
    mutating func dropFailure() {
        failing = nil
    }

    /// How long until the next tick: after transient errors the retry back-off (never longer than
    /// the interval); while a retry is pending its delay; else the interval with `jitter` (a
    /// fraction, ±0.1 in the agent).
    func delay(interval: Duration, retry: RetryPolicy, jitter: Double) -> Duration {
        if transientFailures > 0 {
            return min(retry.delay(beforeRetry: transientFailures), interval)
        }
        if let failing, retryPending(retry) {
            return retry.delay(beforeRetry: failing.failures)
        }
        return interval * (1 + jitter)
    }
}
