import Synchronization

/// At most so many requests in flight to the server at once, whatever the rate: the bound that
/// replaces the client-side rate limit when the server throttles with API Priority and Fairness.
///
/// The bound adapts to the server as TCP's congestion control does. It starts small
/// (``initial``) and doubles with each window of answered requests (slow start), so a fresh client
/// does not open 64 connections at once; a request the server refused as overloaded (429, 503)
/// halves it and ends the doubling; from then on each window of answers raises it by one, up to
/// the maximum. A server that serves few requests at once then refuses a few of Sluice's, not most
/// of them, and each refusal costs its Retry-After. Waiters are served first come, first served;
/// a cancelled waiter leaves the queue.
final class InFlightLimit: Sendable {
    private struct State {
        var inUse = 0
        /// The most in use at once so far.
        var peak = 0
        var limit: Int
        var slowStart = true
        var answeredSinceChange = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var cancelled = Set<UInt64>()
        var nextID: UInt64 = 0

        /// Takes slots for waiters while there are some; returns whom to wake.
        mutating func admit() -> [CheckedContinuation<Void, any Error>] {
            var woken: [CheckedContinuation<Void, any Error>] = []
            while inUse < limit, !waiters.isEmpty {
                inUse += 1
                peak = max(peak, inUse)
                woken.append(waiters.removeFirst().continuation)
            }
            return woken
        }
    }

    let maximum: Int
    private let state: Mutex<State>

    /// Where slow start begins.
    static let initial = 4

    init(_ maximum: Int) {
        self.maximum = max(1, maximum)
        state = Mutex(State(limit: min(Self.initial, max(1, maximum))))
    }

    /// The bound now (at most ``maximum``).
    var currentLimit: Int { state.withLock { $0.limit } }

    /// The most requests that have been in flight at once so far.
    var peak: Int { state.withLock { $0.peak } }

    /// Waits for a slot; throws `CancellationError` when the task is cancelled while waiting.
    func acquire() async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Decision { case run, wait, cancelled }
                let decision = state.withLock { state -> Decision in
                    if state.cancelled.remove(id) != nil { return .cancelled }
                    if state.inUse < state.limit && state.waiters.isEmpty {
                        state.inUse += 1
                        state.peak = max(state.peak, state.inUse)
                        return .run
                    }
                    state.waiters.append((id, continuation))
                    return .wait
                }
                switch decision {
                case .run: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .wait: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                if let index = state.waiters.firstIndex(where: { $0.id == id }) {
                    return state.waiters.remove(at: index).continuation
                }
                // Not queued yet: the body sees this and does not queue. (An id whose slot was granted
                // just before is left here: the handler runs only while `acquire` does, so rarely.)
                state.cancelled.insert(id)
                return nil
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Gives a slot back. `overloaded`: the server refused the request as overloaded, so the bound
    /// halves; otherwise a window of answers raises it by one.
    func release(overloaded: Bool = false) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.inUse -= 1
            if overloaded {
                state.limit = max(1, state.limit / 2)
                state.slowStart = false
                state.answeredSinceChange = 0
            } else if state.limit < maximum {
                state.answeredSinceChange += 1
                if state.answeredSinceChange >= state.limit {
                    state.limit = min(maximum, state.slowStart ? state.limit * 2 : state.limit + 1)
                    state.answeredSinceChange = 0
                }
            }
            return state.admit()
        }
        for continuation in woken { continuation.resume() }
    }
}
