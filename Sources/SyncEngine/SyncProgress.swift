import Foundation
import Logging

/// What a sync tells a person watching while it runs, as kubectl's `rollout status` does: each phase
/// as it starts, every few seconds what a wait is waiting for, each hook still running, and (when
/// asked) the hooks' output as they print it.
///
/// The ledger records the same attempt in full; progress is only for the eyes of someone waiting,
/// so a sink that cannot keep up loses nothing of the record.
public struct SyncProgress: Sendable {
    /// One thing to tell.
    public enum Event: Sendable, Hashable {
        /// A phase started: `PreSync`, `Sync`, `Health`, `PostSync`, `SyncFail`.
        case phase(String)
        /// A wait still going: `waiting for Deployment shop/web: 1 of 3 updated replicas are available (40s of 5m)`.
        case waiting(String)
        /// A hook still running: `hook PreSync Job shop/migrate-0c1d2e3: running (12s)`.
        case hook(String)
        /// A line a hook printed (without its newline), with the hook's name.
        case hookOutput(hook: String, line: String)

        /// The event as one plain line.
        public var line: String {
            switch self {
            case .phase(let phase): return "phase \(phase)"
            case .waiting(let text), .hook(let text): return text
            case .hookOutput(let hook, let line): return "\(hook) | \(line)"
            }
        }
    }

    /// Where events go.
    enum Sink: Sendable {
        case report(@Sendable (Event) -> Void)
        /// The log, and `also` when given (the agent's status, which shows what a sync waits for).
        case log(also: (@Sendable (Event) -> Void)?)
    }

    /// How often a wait still going is reported.
    public var interval: Duration
    /// Whether the hooks' output is streamed as they run.
    public var followHooks: Bool
    let sink: Sink

    /// Progress to `report`, which is called from any task, so it must be quick and thread-safe.
    public init(interval: Duration = .seconds(5), followHooks: Bool = false, report: @escaping @Sendable (Event) -> Void) {
        self.interval = interval
        self.followHooks = followHooks
        self.sink = .report(report)
    }

    private init(interval: Duration, sink: Sink) {
        self.interval = interval
        self.followHooks = false
        self.sink = sink
    }

    /// Progress as lines of the sync's log (the agent's): waits and hooks at info, with the
    /// application, the revision and the phase as metadata. Hook output is not followed there: the
    /// ledger keeps it.
    ///
    /// `also`, when given, is told every event as well (phases included), from any task, so it must
    /// be quick and thread-safe: the agent keeps the latest for `sluice status`.
    public static func log(interval: Duration = .seconds(10), also: (@Sendable (Event) -> Void)? = nil) -> SyncProgress {
        SyncProgress(interval: interval, sink: .log(also: also))
    }

    /// `40s`, `5m`, `1m30s`: elapsed and limit in progress lines.
    static func text(_ duration: Duration) -> String {
        let seconds = max(0, duration.components.seconds)
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return seconds % 60 == 0 ? "\(seconds / 60)m" : "\(seconds / 60)m\(seconds % 60)s" }
        let minutes = (seconds % 3600) / 60
        return minutes == 0 ? "\(seconds / 3600)h" : "\(seconds / 3600)h\(minutes)m"
    }

    /// `(40s of 5m)`, or `(40s)` without a limit.
    static func elapsed(since start: ContinuousClock.Instant, limit: Duration?) -> String {
        let elapsed = text(.now - start)
        guard let limit else { return "(\(elapsed))" }
        return "(\(elapsed) of \(text(limit)))"
    }
}
