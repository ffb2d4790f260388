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
/// Each tick (the poll interval with ±10% jitter, or at once when triggered) is a short list of
/// steps, each ending in a ``ReconcileResult`` that decides what happens next (``ReconcileState``):
/// the cheap check (one listing of the remote's refs, shared by every application of the
/// repository; when the head is the one already handled the tick ends there: no fetch, no cluster
/// request, no attempt recorded), then fetch and sync. A failed sync is retried per the retry policy
/// and a newer commit supersedes the retry at once; a stalled one (invalid or refused manifests, a
/// missing path) waits for a new commit or new settings; a transient error (network, 5xx) backs off.
/// Every result is in the ledger for `sluice status`, and in the metrics.
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
    /// Sleeps between ticks: the continuous clock, or a test's.
    let clock: any Clock<Duration>
    /// The time on `clock` since the reconciler was made: what the drift interval is measured on.
    let elapsed: @Sendable () -> Duration
    /// What `GET /api/v1/apps` answers: told when the application's status may have changed.
    let snapshot: StatusSnapshot?

    /// What the reconciler remembers between ticks, and decides from.
    var state = ReconcileState()
    /// The last result that was not a transient error: what status shows once one is over.
    var standing: ReconcileResult?
    /// The outcome of the last attempt.
    public private(set) var lastOutcome: Outcome?
    /// True once the first check of the source has been tried (for `/readyz`).
    public private(set) var checkedOnce = false
    var pendingTrigger: Trigger?
    /// When the last trigger still pending arrived, on the store's clock: the check it asks for
    /// may use any listing that started after it (one listing serves every application a push
    /// webhook names, even those whose check waits for a slot).
    var pendingTriggerMark: Duration?
    /// When (on ``elapsed``) the last drift check ran.
    var lastDriftCheck: Duration?
    /// The commit the last check saw.
    var lastChecked: String?
    var sleeper: Task<Void, Never>?

    /// The last commit handled (synced, or found unchanged); `nil` before the first.
    public var lastSeen: String? { state.lastSeen }

    /// The retry policy: the application's own, else the agent's.
    var retry: RetryPolicy { application.retry ?? options.retry }

    init(
        application: AgentApplication, store: GitSourceStore, client: KubeClient, ledger: Ledger, options: AgentOptions,
        metrics: AgentMetrics, limiter: Limiter, checks: Limiter, logger: Logger, clock: any Clock<Duration> = ContinuousClock(),
        snapshot: StatusSnapshot? = nil
    ) {
        self.snapshot = snapshot
        self.clock = clock
        self.elapsed = clock.stopwatch()
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
        snapshot?.started(application.name)
        defer { snapshot?.stopped(application.name) }
        await resumeFromLedger()
        await statusChanged()
        while !Task.isCancelled {
            let trigger = pendingTrigger ?? state.nextTrigger(retry)
            let mark = pendingTriggerMark
            pendingTrigger = nil
            pendingTriggerMark = nil
            await reconcile(trigger: trigger, arrivedAt: mark)
            await checkDriftIfDue()
            // Until the next sync, the application needs only ref listings, which do not open the
            // repository: its object cache and pack windows are freed (issue 18, the agent's memory).
            await store.mirror(for: application.url, credentials: application.credentials).closeRepository()
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
        await write("record the source") {
            try await ledger.recordSource(
                app: app, repo: application.url.description, spec: application.spec.description, path: application.path,
                namespace: application.loadOptions.defaultNamespace ?? "", settings: settings)
        }
        guard let previous, previous.settings == settings else { return }
        // Stalled on a revision with these settings: it stays so until a new commit.
        if !previous.stalledRevision.isEmpty {
            state.stalled = previous.stalledRevision
            standing = .stalled(revision: previous.stalledRevision, reason: previous.error)
        }
        guard let latest = try? await ledger.history(app: app, limit: 1).first,
            latest.outcome == .succeeded || latest.outcome == .unchanged
        else { return }
        state.lastSeen = latest.revision
        lastOutcome = latest.outcome
        if let interval = options.driftInterval {
            lastDriftCheck = elapsed() - interval * Double.random(in: 0...1)
        }
        logger.info("resuming from the ledger", metadata: ["revision": "\(latest.revision)"])
    }

    /// Reads the application's status entry for the API again: at the end of each tick, after its
    /// last ledger write, and when an attempt begins or ends.
    func statusChanged() async {
        await snapshot?.refresh(application.name)
    }

    /// Asks for a reconcile now (a webhook, the sync API); triggers arriving meanwhile coalesce into one.
    public func trigger(_ trigger: Trigger) async {
        pendingTriggerMark = await store.now()
        pendingTrigger = trigger
        sleeper?.cancel()
    }

    /// Sleeps until the next tick: the interval with ±10% jitter, the retry delay after a failure,
    /// or until ``trigger(_:)``.
    func waitForNextTick() async {
        guard pendingTrigger == nil else {
            await statusChanged()
            return
        }
        let delay = state.delay(interval: options.interval, retry: retry, jitter: Double.random(in: -0.1...0.1))
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        let seen = lastChecked
        await write("record the check") { try await ledger.recordCheck(app: application.name, seen: seen, next: Date().addingTimeInterval(seconds)) }
        await statusChanged()
        let clock = self.clock
        let sleeper = Task { _ = try? await clock.sleep(for: delay, tolerance: nil) }
        self.sleeper = sleeper
        await withTaskCancellationHandler {
            await sleeper.value
        } onCancel: {
            sleeper.cancel()
        }
        self.sleeper = nil
    }

    /// One reconcile: the cheap check, then (when there is something new to do) fetch and sync.
    func reconcile(trigger: Trigger, arrivedAt mark: Duration? = nil) async {
        let app = application.name
        let record = try? await ledger.application(app)
        metrics.recordSuspended(app: app, record?.suspended ?? false)
        if let record, record.suspended {
            checkedOnce = true
            return  // suspended: no check, no sync, until resumed
        }
        await checks.acquire()
        let checkStart = ContinuousClock.now
        let resolved: ResolvedRevision
        do {
            // A poll may use a listing of the last half interval; a push (or a retry, which a new
            // commit may supersede) needs one that started after it arrived.
            let listedSince: Duration
            if trigger == .poll {
                listedSince = await store.now() - options.interval / 2
            } else if let mark {
                listedSince = mark
            } else {
                listedSince = await store.now()
            }
            resolved = try await store.check(
                application.url, spec: application.spec, credentials: application.credentials, listedSince: listedSince)
            await checks.release()
            metrics.recordFetch(app: app, duration: .now - checkStart, failed: false)
        } catch {
            await checks.release()
            checkedOnce = true
            metrics.recordFetch(app: app, duration: .now - checkStart, failed: true)
            logger.warning("cannot check the source", metadata: ["error": "\(error)"])
            await finish(ReconcileResult.of(sourceError: error), errorClass: "fetch")
            return
        }
        checkedOnce = true
        lastChecked = resolved.revision
        let revision = resolved.revision
        let quarantined = record?.quarantined ?? []
        switch state.decide(trigger: trigger, head: revision, quarantined: quarantined, retry: retry) {
        case .idle:
            // A check that went well clears an error the check itself had left.
            if state.transientFailures > 0 { await finish(.ready(revision: state.lastSeen ?? revision), errorClass: nil, clearOnly: true) }
        case .sync(let effective):
            await limiter.run { await self.sync(trigger: effective, resolved: resolved, quarantined: quarantined) }
        }
    }

    /// Whether a rollback's quarantine still holds for `head`, a commit after the quarantined ones: it
    /// does while nothing under the application's path changed since one of them (a commit elsewhere
    /// in a monorepo does not undo a rollback); `head` then joins the quarantine. A change under the
    /// path lifts it, and the ref is followed again.
    func quarantineHolds(_ quarantined: Set<String>, head: String, syncer: ApplicationSync) async -> Bool {
        guard !quarantined.isEmpty else { return false }
        for revision in quarantined.sorted() {
            guard let changes = try? await syncer.source.mirror.changes(from: revision, to: head, under: application.path), changes.isEmpty
            else { continue }
            await write("extend the quarantine") { try await ledger.setQuarantined(quarantined.union([head]), app: application.name) }
            logger.info("the quarantine holds: nothing under the path changed since the rolled-back commit", metadata: ["revision": "\(head)"])
            return true
        }
        // When the quarantine cannot be lifted in the ledger, nothing is applied this time either.
        guard await write("lift the quarantine", { try await ledger.setQuarantined([], app: application.name) }) else { return true }
        logger.info("a change under the path lifts the quarantine", metadata: ["revision": "\(head)"])
        return false
    }

    /// Writes to the ledger; a write that fails is logged and counts as a transient error (retried
    /// with back-off), and the caller stops before its next side effect. Returns whether it landed.
    @discardableResult
    func write(_ what: String, _ body: () async throws -> Void) async -> Bool {
        do {
            try await body()
            return true
        } catch {
            logger.error("cannot \(what) in the ledger; the sync waits for it", metadata: ["error": "\(error)"])
            state.record(.transient(reason: "cannot \(what) in the ledger: \(error)"))
            return false
        }
    }

    /// Takes a result into account: the state for the next tick, the ledger for `sluice status`, the
    /// metrics. `errorClass` names a failure before any sync ran (`fetch`); `clearOnly` only clears a
    /// transient error.
    func finish(_ result: ReconcileResult, errorClass: String? = nil, clearOnly: Bool = false) async {
        if clearOnly {
            // The transient error is over: status shows again what stood before it (a stall, a
            // failed sync), or nothing.
            state.transientFailures = 0
            await record(standing ?? .ready(revision: state.lastSeen ?? ""), errorClass: nil)
            return
        }
        state.record(result)
        if case .transient = result {} else { standing = result }
        await record(result, errorClass: errorClass)
        if case .stalled(_, let reason) = result {
            logger.error("stalled: not retried until a new commit or new settings", metadata: ["reason": "\(reason)"])
        }
    }

    /// Keeps a result's error (or its absence) in the ledger for `sluice status`.
    private func record(_ result: ReconcileResult, errorClass: String?) async {
        let app = application.name
        metrics.recordStalled(app: app, state.stalled != nil)
        do {
            switch result {
            case .ready:
                try await ledger.clearError(app: app)
            case .failed(_, let reason):
                try await ledger.recordError(errorClass ?? result.errorClass ?? "sync", reason, app: app)
            case .transient(let reason):
                // A stall outlasts a transient error: it is still the revision's.
                try await ledger.recordError(errorClass ?? "transient", reason, stalledRevision: state.stalled ?? "", app: app)
            case .stalled(let revision, let reason):
                try await ledger.recordError("stalled", reason, stalledRevision: revision ?? "", app: app)
            }
        } catch {
            // Not thrown further: this only feeds `sluice status`; the attempt itself is recorded.
            logger.error("cannot record the result in the ledger", metadata: ["error": "\(error)"])
        }
    }

    /// Compares the cluster with the last applied revision every drift interval; reports drift
    /// (log, metrics, ledger, Event) and, with self-heal, re-applies the drifted objects.
    func checkDriftIfDue() async {
        guard let interval = options.driftInterval, state.lastSeen != nil, state.failing == nil, state.stalled == nil else { return }
        if let last = lastDriftCheck, elapsed() - last < interval { return }
        if let record = try? await ledger.application(application.name), record.suspended { return }
        lastDriftCheck = elapsed()
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
        guard await write("record the drift check", {
            try await ledger.recordDrift(objects, app: app)
            try await ledger.recordHealth(report.health.status.rawValue, message: report.health.message, app: app)
        }) else { return }
        metrics.recordHealth(app: app, report.health.status.rawValue)
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

    /// The metrics of a sync's outcome and of what it says of the objects' health.
    func recordHealth(after result: SyncResult) async {
        metrics.recordOutcome(app: application.name, result.outcome)
        switch result.outcome {
        case .succeeded:
            metrics.recordHealth(app: application.name, HealthStatus.healthy.rawValue)
        case .failed where result.error?.code == .unhealthy:
            metrics.recordHealth(app: application.name, HealthStatus.degraded.rawValue)
        default:
            break  // the delivery layer recorded the same in the ledger
        }
    }

    func makeSyncer() async -> ApplicationSync {
        let recorder: any SyncRecorder = snapshot.map { snapshot in
            NotifyingRecorder(base: ledger) { [app = application.name] in await snapshot.refresh(app) }
        } ?? ledger
        // The log gets the sync's progress, and the status snapshot the latest of it, so `sluice
        // status` says what a running sync waits for.
        var latest: (@Sendable (SyncProgress.Event) -> Void)?
        if let snapshot {
            let app = application.name
            latest = { event in snapshot.progressed(app, event) }
        }
        let progress = SyncProgress.log(also: latest)
        let runner = SyncRunner(client: client, recorder: recorder, configuration: application.sync, logger: logger, progress: progress)
        return ApplicationSync(
            source: ApplicationSource(
                mirror: await store.mirror(for: application.url, credentials: application.credentials), spec: application.spec,
                path: application.path, loadOptions: application.loadOptions, verification: application.verification),
            runner: runner, ledger: ledger, logger: logger)
    }

    /// Fetches the commit the check resolved and syncs it (or, with every-commit, each commit up to it).
    func sync(trigger: Trigger, resolved: ResolvedRevision, quarantined: Set<String> = []) async {
        let app = application.name
        let syncer = await makeSyncer()
        let fetchStart = ContinuousClock.now
        let head: FetchedRevision
        do {
            head = try await syncer.fetch(resolved: resolved)
            metrics.recordFetch(app: app, duration: .now - fetchStart, failed: false)
        } catch {
            metrics.recordFetch(app: app, duration: .now - fetchStart, failed: true)
            logger.warning("cannot fetch the source", metadata: ["error": "\(error)"])
            await finish(ReconcileResult.of(sourceError: error), errorClass: "fetch")
            return
        }
        if !quarantined.isEmpty, !quarantined.contains(head.revision) {
            if trigger == .manual {
                // A person's sync ends the quarantine.
                guard await write("lift the quarantine", { try await ledger.setQuarantined([], app: app) }) else { return }
            } else if await quarantineHolds(quarantined, head: head.revision, syncer: syncer) {
                return
            }
        }
        if let failed = state.superseded(by: head.revision, retry: retry) {
            // Only a retry still pending is superseded; with retries used up (or off) there is none,
            // and an empty attempt would hide the failed one from `sluice show`.
            logger.info("a newer commit supersedes the retry", metadata: ["revision": "\(failed)", "by": "\(head.revision)"])
            let recorded = await write("record the superseded retry") {
                _ = try await syncer.runner.record(
                    revision: failed, trigger: .retry, outcome: .superseded, outcomeMessage: "superseded by \(head.revision) before its retry")
            }
            guard recorded else { return }
        }
        // A retry of the failed revision keeps its count (so the limit holds); another revision,
        // or a person's sync, starts the count anew.
        if state.failing?.revision != head.revision || trigger == .manual || trigger == .rollback { state.dropFailure() }
        let revisions = application.everyCommit ? (try? await syncer.replayRevisions(to: head)) ?? [head] : [head]
        for fetched in revisions {
            let start = ContinuousClock.now
            let result: SyncResult
            do {
                result = try await syncer.sync(fetched, trigger: trigger, skipUnchanged: application.everyCommit ? true : nil)
            } catch {
                // The ledger, the cluster or the source failed before anything was recorded: back off.
                logger.error("the sync could not run", metadata: ["revision": "\(fetched.revision)", "error": "\(error)"])
                await finish(.transient(reason: "the sync of \(fetched.revision.prefix(12)) could not run: \(error)"))
                return
            }
            metrics.recordSync(app: app, outcome: result.outcome, duration: .now - start)
            metrics.recordPhases(app: app, result: result)
            if let error = await SyncEvents(client: client).record(result, revision: fetched.revision, configuration: application.sync) {
                logger.warning("cannot record the sync's Event", metadata: ["error": "\(error.message)"])
            }
            lastOutcome = result.outcome
            await recordHealth(after: result)
            var finished: Logger.Metadata = ["revision": "\(fetched.revision)", "outcome": "\(result.outcome.rawValue)"]
            if !result.message.isEmpty { finished["message"] = "\(result.message)" }
            logger.info("sync finished", metadata: finished)
            let reconciled = ReconcileResult.of(result, revision: fetched.revision)
            await finish(reconciled)
            guard case .ready = reconciled else { return }  // a failure stops a replay there
            if result.outcome == .succeeded { metrics.recordApplied(app: app, revision: fetched.revision, at: Date()) }
        }
    }
}

/// Caps how many of something run at once over all applications: syncs (so that many PreSync Jobs
/// starting together cannot starve the cluster or the agent), or source checks (so that a thousand
/// applications starting together do not open a thousand connections to one Git server).
actor Limiter {
    private var available: Int
    private let limit: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// Called when the last place in use is given back (nothing runs and nothing waits).
    private let whenIdle: (@Sendable () -> Void)?

    init(limit: Int, whenIdle: (@Sendable () -> Void)? = nil) {
        self.limit = max(1, limit)
        available = self.limit
        self.whenIdle = whenIdle
    }

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
            if available == limit { whenIdle?() }
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
