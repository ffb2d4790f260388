@testable import Agent
import Foundation
import KubeModel
import SyncEngine
import Testing

/// The reconciler's decisions, one rule at a time, with no process, no server and no clock of
/// their own: what a tick does with each trigger and head, what each result leads to, how long
/// until the next tick.
@Suite("Reconcile decisions")
struct ReconcileStateTests {
    static let a = String(repeating: "a", count: 40)
    static let b = String(repeating: "b", count: 40)
    static let c = String(repeating: "c", count: 40)
    static let policy = RetryPolicy(limit: 2, duration: .seconds(5), factor: 2, maxDuration: .seconds(180))
    static let interval = Duration.seconds(60)

    static func decide(_ state: ReconcileState, _ trigger: Trigger, _ head: String, quarantined: Set<String> = []) -> ReconcileState.Decision {
        state.decide(trigger: trigger, head: head, quarantined: quarantined, retry: policy)
    }

    static func isIdle(_ decision: ReconcileState.Decision) -> Bool {
        if case .idle = decision { return true }
        return false
    }

    @Test("a first head is synced with the trigger that found it; the applied head is not synced again by a poll, a webhook or a retry")
    func appliedHeadIsIdle() {
        var state = ReconcileState()
        #expect(Self.decide(state, .poll, Self.a) == .sync(.poll))
        #expect(Self.decide(state, .webhook, Self.a) == .sync(.webhook))
        state.record(.ready(revision: Self.a))
        for trigger in [Trigger.poll, .webhook, .retry] {
            #expect(Self.isIdle(Self.decide(state, trigger, Self.a)), "\(trigger)")
        }
        #expect(Self.decide(state, .manual, Self.a) == .sync(.manual), "a person's sync always runs")
        #expect(Self.decide(state, .webhook, Self.b) == .sync(.webhook))
    }

    @Test("a failed sync is retried up to the limit with growing delays, then waits for a new commit, which syncs at once")
    func failedSyncIsRetriedThenWaits() {
        var state = ReconcileState()
        state.record(.failed(revision: Self.a, reason: "hook failed"))
        #expect(state.nextTrigger(Self.policy) == .retry)
        #expect(state.delay(interval: Self.interval, retry: Self.policy, jitter: 0) == .seconds(5))
        #expect(Self.decide(state, .retry, Self.a) == .sync(.retry))
        #expect(Self.isIdle(Self.decide(state, .poll, Self.a)), "a poll does not jump the retry's wait")
        state.record(.failed(revision: Self.a, reason: "hook failed"))
        #expect(state.delay(interval: Self.interval, retry: Self.policy, jitter: 0) == .seconds(10))
        #expect(Self.decide(state, .retry, Self.a) == .sync(.retry))
        state.record(.failed(revision: Self.a, reason: "hook failed"))
        // Three failures: the first attempt and two retries. No retry is pending any more.
        #expect(!state.retryPending(Self.policy))
        #expect(state.nextTrigger(Self.policy) == .poll)
        #expect(state.delay(interval: Self.interval, retry: Self.policy, jitter: 0.5) == .seconds(90))
        #expect(Self.isIdle(Self.decide(state, .retry, Self.a)))
        #expect(Self.isIdle(Self.decide(state, .webhook, Self.a)), "a repeated webhook does not re-run a failed head")
        #expect(Self.decide(state, .poll, Self.b) == .sync(.poll))
        #expect(state.superseded(by: Self.b, retry: Self.policy) == nil, "no retry was pending, so nothing is superseded")
    }

    @Test("a newer commit supersedes a pending retry at once")
    func newerCommitSupersedesRetry() {
        var state = ReconcileState()
        state.record(.failed(revision: Self.a, reason: "hook failed"))
        #expect(Self.decide(state, .retry, Self.b) == .sync(.poll), "the retry tick found a new head: it is a poll of it")
        #expect(state.superseded(by: Self.b, retry: Self.policy) == Self.a)
        #expect(state.superseded(by: Self.a, retry: Self.policy) == nil)
        state.dropFailure()
        state.record(.ready(revision: Self.b))
        #expect(state.failing == nil)
        #expect(state.nextTrigger(Self.policy) == .poll)
    }

    @Test("retry limit 0 turns retries off")
    func retriesOff() {
        let off = RetryPolicy(limit: 0)
        var state = ReconcileState()
        state.record(.failed(revision: Self.a, reason: "hook failed"))
        #expect(!state.retryPending(off))
        #expect(state.nextTrigger(off) == .poll)
        #expect(Self.isIdle(state.decide(trigger: .retry, head: Self.a, quarantined: [], retry: off)))
        #expect(state.superseded(by: Self.b, retry: off) == nil)
    }

    @Test("a stalled head is not retried by polls, webhooks or retries until a new commit; a person's sync still runs")
    func stalledWaitsForNewCommit() {
        var state = ReconcileState()
        state.record(.stalled(revision: Self.a, reason: "invalid manifests"))
        #expect(state.stalled == Self.a)
        for trigger in [Trigger.poll, .webhook, .retry] {
            #expect(Self.isIdle(Self.decide(state, trigger, Self.a)), "\(trigger)")
        }
        #expect(state.nextTrigger(Self.policy) == .poll)
        #expect(state.delay(interval: Self.interval, retry: Self.policy, jitter: 0) == Self.interval, "no back-off: nothing to retry")
        #expect(Self.decide(state, .manual, Self.a) == .sync(.manual))
        #expect(Self.decide(state, .poll, Self.b) == .sync(.poll))
        state.record(.ready(revision: Self.b))
        #expect(state.stalled == nil)
    }

    @Test("transient errors back off with the retry policy's delays, never longer than the interval, and a success resets them")
    func transientBacksOff() {
        var state = ReconcileState()
        state.record(.ready(revision: Self.a))
        var delays: [Duration] = []
        for _ in 0..<6 {
            state.record(.transient(reason: "connection refused"))
            delays.append(state.delay(interval: Self.interval, retry: Self.policy, jitter: 0.1))
        }
        #expect(delays == [.seconds(5), .seconds(10), .seconds(20), .seconds(40), .seconds(60), .seconds(60)])
        #expect(state.lastSeen == Self.a, "a transient error forgets nothing")
        #expect(Self.isIdle(Self.decide(state, .poll, Self.a)))
        state.record(.ready(revision: Self.a))
        #expect(state.transientFailures == 0)
    }

    @Test("a quarantined head is not applied by the agent, only by a person's sync")
    func quarantine() {
        let state = ReconcileState()
        for trigger in [Trigger.poll, .webhook, .retry, .rollback] {
            #expect(Self.isIdle(Self.decide(state, trigger, Self.c, quarantined: [Self.c])), "\(trigger)")
        }
        #expect(Self.decide(state, .manual, Self.c, quarantined: [Self.c]) == .sync(.manual))
    }

    @Test("the results of syncs are classed: bad input stalls, a cluster that cannot be reached is transient, hooks and health fail")
    func classification() {
        let attempt = AttemptID(1)
        func result(_ code: SyncEngineError.Code) -> ReconcileResult {
            ReconcileResult.of(SyncResult(attempt: attempt, outcome: .failed, message: "m", error: SyncEngineError(code, "m")), revision: Self.a)
        }
        for code in [SyncEngineError.Code.invalidManifests, .validationFailed, .emptyRevision, .pathNotFound, .sourceRefused, .sharedObject] {
            #expect(result(code) == .stalled(revision: Self.a, reason: "m"), "\(code)")
        }
        #expect(result(.cluster) == .transient(reason: "m"))
        for code in [SyncEngineError.Code.hookFailed, .unhealthy, .timeout, .applyFailed, .pruneFailed] {
            #expect(result(code) == .failed(revision: Self.a, reason: "m"), "\(code)")
        }
        #expect(ReconcileResult.of(SyncResult(attempt: attempt, outcome: .unchanged), revision: Self.a) == .ready(revision: Self.a))
        #expect(ReconcileResult.of(SyncResult(attempt: attempt, outcome: .succeeded), revision: Self.a) == .ready(revision: Self.a))
    }

    @Test("Argo CD's retry shape: delays grow by the factor up to the longest", arguments: [
        (RetryPolicy(), [5, 10, 20, 40, 80, 160, 180, 180]),
        (RetryPolicy(limit: 5, duration: .seconds(1), factor: 3, maxDuration: .seconds(30)), [1, 3, 9, 27, 30, 30, 30, 30]),
        (RetryPolicy(limit: 1, duration: .seconds(10), factor: 1, maxDuration: .seconds(60)), [10, 10, 10, 10, 10, 10, 10, 10]),
    ])
    func retryDelays(policy: RetryPolicy, seconds: [Int64]) {
        #expect((1...8).map { policy.delay(beforeRetry: $0) } == seconds.map { Duration.seconds($0) })
    }
}
