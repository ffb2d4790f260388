import Synchronization

/// At most so many requests in flight to the server at once, whatever the rate: the bound that
/// replaces the client-side rate limit when the server throttles with API Priority and Fairness.
/// Waiters are served first come, first served; a cancelled waiter leaves the queue.
final class InFlightLimit: Sendable {
    private struct State {
        var available: Int
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var cancelled = Set<UInt64>()
        var nextID: UInt64 = 0
    }

    let limit: Int
    private let state: Mutex<State>

    init(_ limit: Int) {
        self.limit = max(1, limit)
        state = Mutex(State(available: max(1, limit)))
    }

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
                    if state.available > 0 {
                        state.available -= 1
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
                state.cancelled.insert(id)
                return nil
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Gives a slot back: to the first waiter, else to the pool.
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            state.available += 1
            return nil
        }
        next?.resume()
    }
}
