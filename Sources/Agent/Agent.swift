import Foundation
import GitSource
import Hummingbird
import KubeClient
import Ledger
import Logging
import ServiceLifecycle
import SyncEngine

/// `sluice agent`: one reconciler per application, and the HTTP endpoints, as one service.
///
/// Run it in a `ServiceGroup`: SIGTERM cancels it, the reconcilers stop at their next safe point
/// (a sync in progress is cancelled, its running hooks stopped and SyncFail run), and the HTTP
/// server stops.
public final class Agent: Service, Sendable {
    /// The metrics served on `/metrics`.
    public let metrics: AgentMetrics
    let registry = ReconcilerRegistry()
    let initialApplications: [AgentApplication]
    let reload: (@Sendable () throws -> [AgentApplication]?)?
    let reloadEvery: Duration
    let store: GitSourceStore
    let client: KubeClient
    let ledger: Ledger
    let options: AgentOptions
    let limiter: Limiter
    let checks: Limiter
    let listen: (host: String, port: Int)?
    let logger: Logger
    let webhookSecret: [UInt8]?
    let apiToken: [UInt8]?
    let election: LeaderElection?
    let boundPort = LockedPort()
    /// Who may read the API, where `/metrics` is served, and the HTTP server's limits.
    let http: AgentHTTPOptions
    /// What `GET /api/v1/apps` answers, kept current by the reconcilers.
    let snapshot: StatusSnapshot
    /// The webhook deliveries accepted lately, to tell a repeated one.
    let deliveries = DeliveryLog()
    let boundMetricsPort = LockedPort()

    /// An agent for `applications`, against `client`, recording in `ledger`, with mirrors in `stateDirectory`.
    ///
    /// - Parameters:
    ///   - reload: reads the applications again (a configuration file), `nil` when unchanged; called
    ///     every `reloadEvery`, and when it gives a different set, new applications start, removed ones stop (their objects
    ///     stay in place and their ledger is kept) and changed ones restart. When it throws, the
    ///     running applications go on and the error is logged.
    ///   - http: who may read the API, where `/metrics` is served, and the HTTP server's limits.
    public init(
        applications: [AgentApplication], client: KubeClient, ledger: Ledger, stateDirectory: String,
        gitOptions: GitSourceOptions = GitSourceOptions(), options: AgentOptions = AgentOptions(),
        listen: (host: String, port: Int)?, webhookSecret: [UInt8]? = nil, apiToken: [UInt8]? = nil,
        reload: (@Sendable () throws -> [AgentApplication]?)? = nil, reloadEvery: Duration = .seconds(2),
        election: LeaderElection? = nil, http: AgentHTTPOptions = AgentHTTPOptions(), logger: Logger = Logger(label: "sluice.agent")
    ) {
        self.http = http
        self.snapshot = StatusSnapshot(ledger: ledger, logger: logger)
        self.election = election
        self.webhookSecret = webhookSecret
        self.apiToken = apiToken
        self.store = GitSourceStore(stateDirectory: stateDirectory, options: gitOptions)
        self.metrics = AgentMetrics()
        // Once no sync runs, the memory a large one used goes back to the system.
        self.limiter = Limiter(limit: options.maxConcurrentSyncs, whenIdle: { MallocTuning.trim() })
        self.checks = Limiter(limit: options.maxConcurrentChecks)
        self.initialApplications = applications
        self.reload = reload
        self.reloadEvery = reloadEvery
        self.client = client
        self.ledger = ledger
        self.options = options
        self.listen = listen
        self.logger = logger
    }

    /// Sets up the C allocator for a long-running agent: at most two malloc arenas (unless
    /// `MALLOC_ARENA_MAX` is set). Call it first thing in the process, before threads start:
    /// arenas made before it stay.
    public static func tuneAllocator() {
        MallocTuning.boundArenas()
    }

    /// The port the HTTP server listens on, once it does (for `--listen 127.0.0.1:0`).
    public var port: Int? { boundPort.get() }

    /// The port `/metrics` is served on with ``AgentHTTPOptions/metricsListen``, once it is.
    public var metricsPort: Int? { boundMetricsPort.get() }

    /// The reconcilers running now, by application name.
    public var reconcilers: [Reconciler] {
        get async { await registry.reconcilers }
    }

    /// Runs the reconcilers and the HTTP server until cancelled (SIGTERM: graceful shutdown), then
    /// stops every reconciler at its next safe point.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    if let listen = self.listen {
                        group.addTask { try await self.serve(host: listen.host, port: listen.port) }
                    }
                    group.addTask {
                        // With leader election, only the Lease holder syncs; the others wait to take over.
                        if let election = self.election {
                            self.metrics.recordLeader(false)
                            // While waiting to lead, serve the applications' status from the shared ledger.
                            let following = Task { await self.followLedger() }
                            defer { following.cancel() }
                            try await election.acquire(client: self.client, logger: self.logger)
                            following.cancel()
                            self.metrics.recordLeader(true)
                            // The replica this one replaces may have died mid-sync: its attempt ends
                            // as Interrupted (its sync lock is free) before anything syncs again.
                            do {
                                let interrupted = try await self.ledger.markInterruptedAttempts()
                                if interrupted > 0 {
                                    self.logger.warning("marked attempts of the previous leader Interrupted", metadata: ["count": "\(interrupted)"])
                                }
                            } catch {
                                self.logger.error("cannot mark the previous leader's attempts Interrupted", metadata: ["error": "\(error)"])
                            }
                        }
                        if self.initialApplications.isEmpty {
                            self.logger.notice("no applications configured: idling until the configuration lists some")
                        }
                        await self.registry.apply(self.initialApplications, make: self.makeReconciler, logger: self.logger)
                        try await withThrowingTaskGroup(of: Void.self) { inner in
                            inner.addTask { await self.reloadLoop() }
                            if let election = self.election {
                                inner.addTask {
                                    try await election.keepRenewing(client: self.client, logger: self.logger)
                                    // Leadership lost: stop syncing at once and end, as client-go's elector does.
                                    await self.registry.stopAll()
                                    self.metrics.recordLeader(false)
                                    throw AgentError.lostLeadership
                                }
                            }
                            try await inner.next()
                            inner.cancelAll()
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
        } catch {
            await registry.stopAll()
            throw error
        }
        await registry.stopAll()
    }

    /// On a replica that waits to lead: keeps the status snapshot of the configured applications
    /// current from the ledger the leader writes (a shared PostgreSQL ledger), every few seconds,
    /// until cancelled.
    func followLedger() async {
        let names = initialApplications.map(\.name)
        for name in names { snapshot.started(name) }
        while !Task.isCancelled {
            for name in names { await snapshot.refresh(name) }
            do {
                try await Task.sleep(for: min(options.interval, .seconds(5)))
            } catch {
                return
            }
        }
    }

    /// Re-reads the configuration every `reloadEvery` until cancelled; without one, waits to be cancelled.
    func reloadLoop() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: reloadEvery)
            } catch {
                return
            }
            guard let reload else { continue }
            do {
                guard let applications = try reload() else { continue }  // unchanged
                await registry.apply(applications, make: makeReconciler, logger: logger)
            } catch {
                logger.error("the configuration was refused; the running applications go on", metadata: ["error": "\(error)"])
            }
        }
    }

    @Sendable func makeReconciler(_ application: AgentApplication) -> Reconciler {
        Reconciler(
            application: application, store: store, client: client, ledger: ledger, options: options, metrics: metrics, limiter: limiter, checks: checks,
            logger: logger, snapshot: snapshot)
    }

    /// True when the ledger is open and every application's source has been checked once.
    public func isReady() async -> Bool {
        for reconciler in await reconcilers where await !reconciler.checkedOnce { return false }
        return true
    }
}

/// Why the agent stopped on its own.
public enum AgentError: Error, CustomStringConvertible {
    /// Another replica took the Lease over: this one stops syncing and exits, to be restarted as a follower.
    case lostLeadership

    public var description: String {
        switch self {
        case .lostLeadership: return "lost the leader election Lease to another replica; exiting so that only one replica syncs"
        }
    }
}

/// The running reconcilers, started and stopped as the configuration changes.
actor ReconcilerRegistry {
    private var running: [String: (reconciler: Reconciler, fingerprint: String?, task: Task<Void, Never>)] = [:]

    var reconcilers: [Reconciler] { running.keys.sorted().compactMap { running[$0]?.reconciler } }

    /// Starts the applications that are new, stops the ones gone, and restarts the changed ones.
    func apply(_ applications: [AgentApplication], make: @Sendable (AgentApplication) -> Reconciler, logger: Logger) async {
        let wanted = Dictionary(applications.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (name, entry) in running where wanted[name] == nil || wanted[name]?.fingerprint != entry.fingerprint {
            entry.task.cancel()
            await entry.task.value
            running[name] = nil
            logger.info(wanted[name] == nil ? "application removed: stopped (its objects and ledger stay)" : "application changed: restarting", metadata: ["app": "\(name)"])
        }
        for application in applications where running[application.name] == nil {
            let reconciler = make(application)
            running[application.name] = (reconciler, application.fingerprint, Task { await reconciler.run() })
            logger.info("application started", metadata: ["app": "\(application.name)", "repo": "\(application.url.description)"])
        }
    }

    /// Stops every reconciler and waits until each has.
    func stopAll() async {
        for entry in running.values { entry.task.cancel() }
        for entry in running.values { await entry.task.value }
        running.removeAll()
    }
}

/// The HTTP server's port, set once it listens.
final class LockedPort: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int?
    func set(_ port: Int) { lock.withLock { value = port } }
    func get() -> Int? { lock.withLock { value } }
}
