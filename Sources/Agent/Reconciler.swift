import Delivery
import KubeModel
import Foundation
import GitSource
import KubeClient
import Ledger
import Logging
import SyncEngine

/// The reconcile loop of one application (DESIGN.md, "The loop, per application").
///
/// Each tick (the poll interval with ±10% jitter, or at once when triggered) starts with the cheap
/// check: one listing of the remote's refs, shared by every application of the repository. When the
/// resolved commit is the one already handled, the tick ends there: no fetch, no cluster request.
/// Otherwise the commit is fetched and synced. A failed revision is retried with exponential back-off
/// up to the retry limit; a newer commit supersedes the retry at once.
public actor Reconciler {
    /// The application.
    public nonisolated let application: AgentApplication
    let store: GitSourceStore
    let client: KubeClient
    let ledger: Ledger
    let options: AgentOptions
    let metrics: AgentMetrics
    let limiter: Limiter
    let checks: Limiter
    let logger: Logger

    /// The last commit handled (synced, or found unchanged); `nil` before the first.
    public private(set) var lastSeen: String?
    /// The outcome of the last attempt.
    public private(set) var lastOutcome: Outcome?
    /// True once the first check of the source has been tried (for `/readyz`).
    public private(set) var checkedOnce = false
    /// Failed syncs of `lastFailed` so far, and the revision.
    var failures = 0
    var lastFailed: String?
    var pendingTrigger: Trigger?
    var lastDriftCheck: ContinuousClock.Instant?
    /// The commit the last check saw.
    var lastChecked: String?
    var sleeper: Task<Void, Never>?

    init(
        application: AgentApplication, store: GitSourceStore, client: KubeClient, ledger: Ledger, options: AgentOptions,
        metrics: AgentMetrics, limiter: Limiter, checks: Limiter, logger: Logger
    ) {
        self.application = application
        self.store = store
        self.client = client
        self.ledger = ledger
        self.options = options
        self.metrics = metrics
        self.limiter = limiter
        self.checks = checks
        var logger = logger
        logger[metadataKey: "app"] = "\(application.name)"
        self.logger = logger
    }

    /// Reconciles on every tick until the task is cancelled.
    public func run() async {
        await resumeFromLedger()
        while !Task.isCancelled {
            let trigger = pendingTrigger ?? (failures > 0 ? .retry : .poll)
            pendingTrigger = nil
            await reconcile(trigger: trigger)
            await checkDriftIfDue()
            await waitForNextTick()
        }
    }

    /// Picks up where the ledger says: when the application ran with the same settings before and
    /// its latest attempt left a revision applied (`Succeeded` or `Unchanged`), that revision counts
    /// as handled, so a restarted agent (or a new leader) makes no fetch and no cluster request
    /// until a new commit arrives. Its first drift check falls at a random point of the first drift
    /// interval, so that many applications do not all check at start. Records the source and settings.
    func resumeFromLedger() async {
        let app = application.name
        let settings = application.settingsDigest
        let previous = try? await ledger.application(app)
        try? await ledger.recordSource(
            app: app, repo: application.url.description, spec: application.spec.description, path: application.path, settings: settings)
        guard let previous, previous.settings == settings,
            let latest = try? await ledger.history(app: app, limit: 1).first,
            latest.outcome == .succeeded || latest.outcome == .unchanged
        else { return }
        lastSeen = latest.revision
        lastOutcome = latest.outcome
        if let interval = options.driftInterval {
            lastDriftCheck = .now - interval * Double.random(in: 0...1)
        }
        logger.info("resuming from the ledger", metadata: ["revision": "\(latest.revision)"])
    }

    /// Asks for a reconcile now (a webhook, the sync API); triggers arriving meanwhile coalesce into one.
    public func trigger(_ trigger: Trigger) {
        pendingTrigger = trigger
        sleeper?.cancel()
    }

    /// Sleeps until the next tick: the interval with ±10% jitter, the retry delay after a failure,
    /// or until ``trigger(_:)``.
    func waitForNextTick() async {
        guard pendingTrigger == nil else { return }
        let delay: Duration
        if failures > 0, failures <= options.retryLimit {
            let exponent = min(failures - 1, 20)
            delay = min(options.retryDelay * (1 << exponent), options.retryDelayCap)
        } else {
            let jitter = Double.random(in: -0.1...0.1)
            delay = options.interval * (1 + jitter)
        }
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        try? await ledger.recordCheck(app: application.name, seen: lastChecked, next: Date().addingTimeInterval(seconds))
        let sleeper = Task { _ = try? await Task.sleep(for: delay) }
        self.sleeper = sleeper
        await withTaskCancellationHandler {
            await sleeper.value
        } onCancel: {
            sleeper.cancel()
        }
        self.sleeper = nil
    }

    /// One reconcile: the cheap check, then (when there is something new to do) fetch and sync.
    func reconcile(trigger: Trigger) async {
        let app = application.name
        let record = try? await ledger.application(app)
        if let record, record.suspended {
            checkedOnce = true
            return  // suspended: no check, no sync, until resumed
        }
        await checks.acquire()
        let checkStart = ContinuousClock.now
        let resolved: ResolvedRevision
        do {
            resolved = try await store.check(
                application.url, spec: application.spec, credentials: application.credentials,
                maxAge: trigger == .poll || trigger == .retry ? options.interval / 2 : .zero)  // a push needs a fresh listing
            await checks.release()
            metrics.recordFetch(app: app, duration: .now - checkStart, failed: false)
        } catch {
            await checks.release()
            checkedOnce = true
            metrics.recordFetch(app: app, duration: .now - checkStart, failed: true)
            logger.warning("cannot check the source", metadata: ["error": "\(error)"])
            return
        }
        checkedOnce = true
        lastChecked = resolved.revision
        let revision = resolved.revision
        if let quarantined = record?.quarantined, !quarantined.isEmpty {
            // A rollback quarantined the head: leave it until a newer commit arrives, then follow the ref again.
            if quarantined.contains(revision) && trigger != .manual { return }
            if !quarantined.contains(revision) { try? await ledger.setQuarantined([], app: app) }
        }
        switch trigger {
        case .webhook, .manual, .rollback:
            break  // asked for: always sync
        case .retry where revision == lastFailed:
            guard failures <= options.retryLimit else { return }  // retries used up: wait for a new commit
        default:
            // Idle: the commit was handled already (or failed and waits for its retry): no fetch, no cluster request.
            guard revision != lastSeen, revision != lastFailed else { return }
        }
        let effective: Trigger = trigger == .retry && revision != lastFailed ? .poll : trigger
        await limiter.run { await self.sync(trigger: effective) }
    }

    /// Compares the cluster with the last applied revision every drift interval; reports drift
    /// (log, metrics, ledger, Event) and, with self-heal, re-applies the drifted objects.
    func checkDriftIfDue() async {
        guard let interval = options.driftInterval, lastSeen != nil, failures == 0 else { return }
        if let last = lastDriftCheck, ContinuousClock.now - last < interval { return }
        if let record = try? await ledger.application(application.name), record.suspended { return }
        lastDriftCheck = .now
        let app = application.name
        let syncer = await makeSyncer()
        let report: DriftReport
        do {
            guard let found = try await syncer.checkDrift() else { return }
            report = found
        } catch {
            logger.warning("the drift check failed", metadata: ["error": "\(error)"])
            return
        }
        let objects = report.drifted.map(\.description)
        metrics.recordDrift(app: app, objects: objects.count)
        try? await ledger.recordDrift(objects, app: app)
        try? await ledger.recordHealth(report.health.status.rawValue, message: report.health.message, app: app)
        guard !objects.isEmpty else { return }
        logger.warning(
            "drift: objects differ from the last applied revision",
            metadata: ["revision": "\(report.revision)", "objects": "\(objects.joined(separator: ", "))"])
        _ = await SyncEvents(client: client).recordDrift(objects, revision: report.revision, configuration: application.sync, healing: options.selfHeal)
        guard options.selfHeal else { return }
        await limiter.run {
            let start = ContinuousClock.now
            guard let result = try? await syncer.heal(report) else { return }
            self.metrics.recordSync(app: app, outcome: result.outcome, duration: .now - start)
            _ = await SyncEvents(client: self.client).record(result, revision: report.revision, configuration: self.application.sync)
        }
    }

    /// What a sync says of the objects' health: all healthy when it succeeded (its Health stage
    /// passed); degraded when an object did not become healthy. Other outcomes say nothing new.
    func recordHealth(after result: SyncResult) async {
        switch result.outcome {
        case .succeeded:
            try? await ledger.recordHealth(HealthStatus.healthy.rawValue, message: "", app: application.name)
        case .failed where result.error?.code == .unhealthy:
            try? await ledger.recordHealth(HealthStatus.degraded.rawValue, message: result.message, app: application.name)
        default:
            break
        }
    }

    func makeSyncer() async -> ApplicationSync {
        let runner = SyncRunner(client: client, recorder: ledger, configuration: application.sync, logger: logger, progress: .log())
        return ApplicationSync(
            source: ApplicationSource(
                mirror: await store.mirror(for: application.url, credentials: application.credentials), spec: application.spec,
                path: application.path, loadOptions: application.loadOptions),
            runner: runner, ledger: ledger, logger: logger)
    }

    /// Fetches the ref spec and syncs its head (or, with every-commit, each commit up to it).
    func sync(trigger: Trigger) async {
        let app = application.name
        let syncer = await makeSyncer()
        let fetchStart = ContinuousClock.now
        let head: FetchedRevision
        do {
            head = try await syncer.fetch()
            metrics.recordFetch(app: app, duration: .now - fetchStart, failed: false)
        } catch {
            metrics.recordFetch(app: app, duration: .now - fetchStart, failed: true)
            logger.warning("cannot fetch the source", metadata: ["error": "\(error)"])
            return
        }
        if let failed = lastFailed, failed != head.revision {
            // Only a retry still pending is superseded; with retries used up (or off) there is none,
            // and an empty attempt would hide the failed one from `sluice show`.
            if failures <= options.retryLimit {
                logger.info("a newer commit supersedes the retry", metadata: ["revision": "\(failed)", "by": "\(head.revision)"])
                _ = try? await syncer.runner.record(
                    revision: failed, trigger: .retry, outcome: .superseded, outcomeMessage: "superseded by \(head.revision) before its retry")
            }
            failures = 0
            lastFailed = nil
        }
        let revisions = application.everyCommit ? (try? await syncer.replayRevisions(to: head)) ?? [head] : [head]
        for fetched in revisions {
            let start = ContinuousClock.now
            let result: SyncResult
            do {
                result = try await syncer.sync(fetched, trigger: trigger, skipUnchanged: application.everyCommit ? true : nil)
            } catch {
                // The ledger or the source failed: nothing was recorded; try again on the next tick.
                logger.error("the sync could not run", metadata: ["revision": "\(fetched.revision)", "error": "\(error)"])
                return
            }
            metrics.recordSync(app: app, outcome: result.outcome, duration: .now - start)
            if let attempt = try? await ledger.attempt(result.attempt), let detail = try? await ledger.detail(of: attempt) {
                metrics.recordPhases(app: app, detail: detail)
            }
            if let error = await SyncEvents(client: client).record(result, revision: fetched.revision, configuration: application.sync) {
                logger.warning("cannot record the sync's Event", metadata: ["error": "\(error.message)"])
            }
            lastOutcome = result.outcome
            await recordHealth(after: result)
            var finished: Logger.Metadata = ["revision": "\(fetched.revision)", "outcome": "\(result.outcome.rawValue)"]
            if !result.message.isEmpty { finished["message"] = "\(result.message)" }
            logger.info("sync finished", metadata: finished)
            if result.outcome == .failed {
                failures = lastFailed == fetched.revision ? failures + 1 : 1
                lastFailed = fetched.revision
                return  // a failure stops a replay there
            }
            failures = 0
            lastFailed = nil
            lastSeen = fetched.revision
            if result.outcome == .succeeded { metrics.recordApplied(app: app, revision: fetched.revision, at: Date()) }
        }
    }
}

/// Caps how many of something run at once over all applications: syncs (so that many PreSync Jobs
/// starting together cannot starve the cluster or the agent), or source checks (so that a thousand
/// applications starting together do not open a thousand connections to one Git server).
actor Limiter {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { available = max(1, limit) }

    /// Waits for a free place and takes it; give it back with ``release()``.
    func acquire() async {
        if available > 0 {
            available -= 1
        } else {
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// Gives a place back, to the longest waiter if any.
    func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }

    /// Runs `body` in a place of its own.
    func run(_ body: @Sendable () async -> Void) async {
        await acquire()
        await body()
        release()
    }
}
