import KubeModel
import Foundation
import Ledger
import NIOConcurrencyHelpers
import Prometheus
import SyncEngine

/// The agent's Prometheus metrics (names prefixed `sluice_`), served on `/metrics`.
public final class AgentMetrics: Sendable {
    /// The registry behind `/metrics`.
    public let registry = PrometheusCollectorRegistry()
    private let lastApplied = NIOLockedValueBox<[String: Gauge]>([:])

    /// A new set of metrics.
    public init() {}

    /// Counts a finished attempt of `app` with its outcome, and its duration.
    func recordSync(app: String, outcome: Outcome, duration: Duration) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "sluice", metricName: "syncs", unitName: "total", helpText: "Sync attempts by application and outcome"),
            labels: [("app", app), ("outcome", outcome.rawValue)]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "sluice", metricName: "sync_duration", unitName: "seconds", helpText: "How long syncs took"),
            labels: [("app", app)],
            buckets: [.milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(15), .seconds(60), .seconds(300), .seconds(900)]
        ).record(duration)
    }

    /// Records how long each phase of a finished sync took (`sluice_phase_duration_seconds`, from
    /// the phase's start to the next one's, the last to the sync's end) and each hook it ran, from
    /// creation to completion (`sluice_hook_duration_seconds`), both by app and phase; from the
    /// sync's result, without reading the record back.
    func recordPhases(app: String, result: SyncResult) {
        let buckets: [Duration] = [.milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(15), .seconds(60), .seconds(300), .seconds(900)]
        for (phase, duration) in result.phases {
            registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(namespace: "sluice", metricName: "phase_duration", unitName: "seconds", helpText: "How long sync phases took"),
                labels: [("app", app), ("phase", phase)], buckets: buckets
            ).record(duration)
        }
        for (phase, duration) in result.hooks {
            registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(namespace: "sluice", metricName: "hook_duration", unitName: "seconds", helpText: "How long hooks ran, from creation to completion"),
                labels: [("app", app), ("phase", phase)], buckets: buckets
            ).record(duration)
        }
    }

    /// Sets the last applied revision of `app` (`sluice_last_applied_revision_info{app,revision} 1`,
    /// the previous revision's series removed) and when it was applied.
    func recordApplied(app: String, revision: String, at date: Date) {
        let info = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "sluice", metricName: "last_applied_revision", unitName: "info",
                helpText: "The last revision applied in full, as a label"),
            labels: [("app", app), ("revision", revision)])
        info.set(to: 1.0)
        let previous = lastApplied.withLockedValue { last -> Gauge? in
            defer { last[app] = info }
            return last[app]
        }
        if let previous, previous !== info { registry.unregisterGauge(previous) }
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "sluice", metricName: "last_applied_timestamp", unitName: "seconds",
                helpText: "When the application's last revision was applied in full"),
            labels: [("app", app)]
        ).set(date.timeIntervalSince1970)
    }

    /// Sets how many objects differ from the last applied revision, and counts the check.
    func recordDrift(app: String, objects: Int) {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "sluice", metricName: "drifted_objects", unitName: "count",
                helpText: "Objects that differed from the last applied revision at the last drift check"),
            labels: [("app", app)]
        ).set(to: Double(objects))
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "sluice", metricName: "drift_checks", unitName: "total", helpText: "Drift checks run"),
            labels: [("app", app)]
        ).increment()
    }

    /// 1 while this replica holds the leader election Lease (or runs without election), 0 otherwise.
    func recordLeader(_ leading: Bool) {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "sluice", metricName: "leader", unitName: "info", helpText: "1 while this replica leads"),
            labels: []
        ).set(to: leading ? 1 : 0)
    }

    /// Counts one check or fetch of a repository and its duration; errors are counted apart.
    func recordFetch(app: String, duration: Duration, failed: Bool) {
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "sluice", metricName: "fetch_duration", unitName: "seconds", helpText: "How long checks and fetches of the source took"),
            labels: [("app", app)],
            buckets: [.milliseconds(10), .milliseconds(50), .milliseconds(250), .seconds(1), .seconds(5), .seconds(30)]
        ).record(duration)
        let errors = registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "sluice", metricName: "fetch_errors", unitName: "total", helpText: "Checks and fetches of the source that failed"),
            labels: [("app", app)])
        if failed { errors.increment() }
    }

    /// 1 while the application is suspended, else 0 (`sluice_app_suspended`).
    func recordSuspended(app: String, _ suspended: Bool) {
        flag("app_suspended", "1 while the application is suspended", app: app, suspended)
    }

    /// 1 while the application is stalled (waits for a new commit or new settings), else 0
    /// (`sluice_app_stalled`).
    func recordStalled(app: String, _ stalled: Bool) {
        flag("app_stalled", "1 while the application is stalled: not retried until a new commit or new settings", app: app, stalled)
    }

    /// The health of the application's objects: `sluice_app_health{app,status}` is 1 for the current
    /// status and 0 for the others, so an alert reads `sluice_app_health{status="Degraded"} == 1`.
    func recordHealth(app: String, _ status: String) {
        for candidate in ["Healthy", "Progressing", "Degraded", "Suspended", "Missing"] {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "sluice", metricName: "app_health", unitName: "", helpText: "1 for the health status of the application's objects, 0 for the others"),
                labels: [("app", app), ("status", candidate)]
            ).set(to: candidate == status ? 1 : 0)
        }
    }

    /// The outcome of the application's last attempt: `sluice_app_last_outcome{app,outcome}` is 1 for
    /// it and 0 for the other outcomes.
    func recordOutcome(app: String, _ outcome: Outcome) {
        for candidate in Outcome.allCases where candidate != .running {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "sluice", metricName: "app_last_outcome", unitName: "", helpText: "1 for the outcome of the application's last attempt, 0 for the others"),
                labels: [("app", app), ("outcome", candidate.rawValue)]
            ).set(to: candidate == outcome ? 1 : 0)
        }
    }

    private func flag(_ name: String, _ help: String, app: String, _ value: Bool) {
        registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "sluice", metricName: name, unitName: "", helpText: help), labels: [("app", app)])
            .set(to: value ? 1 : 0)
    }

    /// The text of `/metrics`.
    public func exposition() -> String {
        registry.emitToString()
    }
}
