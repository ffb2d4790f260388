import Synchronization

/// A token bucket: `qps` requests per second on average, bursts up to `burst` (client-go's
/// limiter, with Sluice's defaults of 50 / 100 rather than client-go's 5 / 10, which throttle a
/// sync of a few hundred objects to a crawl). A default limit steps aside once the server says it
/// throttles itself (``serverAnnouncedFlowControl()``).
final class RateLimiter: Sendable {
    private struct State {
        var tokens: Double
        var last: ContinuousClock.Instant
    }

    let qps: Double
    let burst: Double
    /// Whether the limit gives way to the server's own flow control (the rate was not chosen).
    let yieldsToServer: Bool
    private let state: Mutex<State>
    private let serverThrottles = Atomic<Bool>(false)

    init(qps: Double, burst: Int, yieldsToServer: Bool = false, now: ContinuousClock.Instant = .now) {
        self.qps = qps
        self.burst = Double(max(burst, 1))
        self.yieldsToServer = yieldsToServer
        state = Mutex(State(tokens: Double(max(burst, 1)), last: now))
    }

    /// Whether the limit is off because the server announced API Priority and Fairness.
    var isYielding: Bool { serverThrottles.load(ordering: .relaxed) }

    /// The server answered with API Priority and Fairness headers: it throttles fairly itself, with
    /// 429 and Retry-After, so a limit the user did not choose steps aside (as controller-runtime does).
    func serverAnnouncedFlowControl() {
        guard yieldsToServer, !serverThrottles.load(ordering: .relaxed) else { return }
        serverThrottles.store(true, ordering: .relaxed)
    }

    /// Takes a token; returns how long the caller must wait before using it (zero when one was free).
    func reserve(now: ContinuousClock.Instant = .now) -> Duration {
        guard qps > 0, !serverThrottles.load(ordering: .relaxed) else { return .zero }
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
