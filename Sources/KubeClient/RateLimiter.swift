import Synchronization

/// A token bucket: `qps` requests per second on average, bursts up to `burst` (client-go's
/// limiter, with Sluice's defaults of 50 / 100 rather than client-go's 5 / 10, which throttle a
/// sync of a few hundred objects to a crawl).
final class RateLimiter: Sendable {
    private struct State {
        var tokens: Double
        var last: ContinuousClock.Instant
    }

    let qps: Double
    let burst: Double
    private let state: Mutex<State>

    init(qps: Double, burst: Int, now: ContinuousClock.Instant = .now) {
        self.qps = qps
        self.burst = Double(max(burst, 1))
        state = Mutex(State(tokens: Double(max(burst, 1)), last: now))
    }

    /// Takes a token; returns how long the caller must wait before using it (zero when one was free).
    func reserve(now: ContinuousClock.Instant = .now) -> Duration {
        guard qps > 0 else { return .zero }
        return state.withLock { state in
            let elapsed = now - state.last
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            state.tokens = min(burst, state.tokens + max(0, seconds) * qps)
            state.last = now
            state.tokens -= 1
            if state.tokens >= 0 { return .zero }
            return .nanoseconds(Int64(-state.tokens / qps * 1e9))
        }
    }

    /// Waits for a token.
    func acquire() async throws {
        let wait = reserve()
        if wait > .zero { try await Task.sleep(for: wait) }
    }
}
