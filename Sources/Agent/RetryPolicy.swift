/// How a failed sync is retried, in Argo CD's `retry` shape: at most `limit` retries of one revision,
/// the first after `duration`, each later one `factor` times longer, never longer than
/// `maxDuration`. A limit of 0 turns retries off. Set for the whole agent (`--retry-*`) and per
/// application (`retry:` in the configuration file).
public struct RetryPolicy: Sendable, Hashable, CustomStringConvertible {
    /// Retries of one revision before waiting for a new commit; 0 turns retries off.
    public var limit: Int
    /// The delay before the first retry.
    public var duration: Duration
    /// How much longer each later delay is.
    public var factor: Int
    /// The longest delay.
    public var maxDuration: Duration

    /// The default: 2 retries, after 5 s and then 10 s (the longest delay 3 minutes).
    public init(limit: Int = 2, duration: Duration = .seconds(5), factor: Int = 2, maxDuration: Duration = .seconds(180)) {
        self.limit = max(0, limit)
        self.duration = duration
        self.factor = max(1, factor)
        self.maxDuration = maxDuration
    }

    /// The delay before retry number `retry` (1 for the first).
    public func delay(beforeRetry retry: Int) -> Duration {
        var delay = duration
        for _ in 1..<max(1, retry) {
            delay = delay * factor
            if delay >= maxDuration { return maxDuration }
        }
        return min(delay, maxDuration)
    }

    /// `limit 2, backoff 5s ×2 up to 3m`.
    public var description: String { "limit \(limit), backoff \(duration) ×\(factor) up to \(maxDuration)" }
}
