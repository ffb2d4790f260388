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
    /// The reconcilers, one per application.
    public let reconcilers: [Reconciler]
    /// The metrics served on `/metrics`.
    public let metrics: AgentMetrics
    let ledger: Ledger
    let listen: (host: String, port: Int)?
    let logger: Logger
    let webhookSecret: [UInt8]?
    let apiToken: [UInt8]?
    let boundPort = LockedPort()

    /// An agent for `applications`, against `client`, recording in `ledger`, with mirrors in `stateDirectory`.
    public init(
        applications: [AgentApplication], client: KubeClient, ledger: Ledger, stateDirectory: String,
        gitOptions: GitSourceOptions = GitSourceOptions(), options: AgentOptions = AgentOptions(),
        listen: (host: String, port: Int)?, webhookSecret: [UInt8]? = nil, apiToken: [UInt8]? = nil,
        logger: Logger = Logger(label: "sluice.agent")
    ) {
        self.webhookSecret = webhookSecret
        self.apiToken = apiToken
        let store = GitSourceStore(stateDirectory: stateDirectory, options: gitOptions)
        let metrics = AgentMetrics()
        let limiter = SyncLimiter(limit: options.maxConcurrentSyncs)
        self.metrics = metrics
        self.reconcilers = applications.map {
            Reconciler(
                application: $0, store: store, client: client, ledger: ledger, options: options, metrics: metrics, limiter: limiter,
                logger: logger)
        }
        self.ledger = ledger
        self.listen = listen
        self.logger = logger
    }

    /// The port the HTTP server listens on, once it does (for `--listen 127.0.0.1:0`).
    public var port: Int? { boundPort.get() }

    /// Runs the reconcilers and the HTTP server until cancelled.
    public func run() async throws {
        // SIGTERM (graceful shutdown) cancels the work: reconcilers stop at their next safe point.
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for reconciler in self.reconcilers {
                    group.addTask { await reconciler.run() }
                }
                if let listen = self.listen {
                    group.addTask { try await self.serve(host: listen.host, port: listen.port) }
                }
                try await group.waitForAll()
            }
        }
    }

    /// True when the ledger is open and every application's source has been checked once.
    public func isReady() async -> Bool {
        for reconciler in reconcilers where await !reconciler.checkedOnce { return false }
        return true
    }

}

/// The HTTP server's port, set once it listens.
final class LockedPort: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int?
    func set(_ port: Int) { lock.withLock { value = port } }
    func get() -> Int? { lock.withLock { value } }
}
