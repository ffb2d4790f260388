import Foundation
import GitSource
import KubeClient
import KubeModel
import Ledger
import LocalCluster
import Logging
import Manifests
import SyncEngine
import TestSupport
import Testing

@testable import Agent

/// The reconciler's timing decisions, driven through the actor itself on a test clock: a real
/// repository on `git daemon`, LocalCluster running the hooks' pods, an SQLite ledger. Time moves
/// only when the test advances the clock, so each decision (retry back-off, the retry limit, the
/// poll interval, the drift interval) is seen exactly, with no wall-clock wait.
@Suite("The reconciler's decisions on a test clock", .serialized)
struct ReconcilerClockTests {
    static let settings = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
        data:
          mode: "1"
        """

    static func migration(exitCode: Int) -> String {
        """
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: migrate
          annotations:
            argocd.argoproj.io/hook: PreSync
            argocd.argoproj.io/hook-delete-policy: BeforeHookCreation
        spec:
          backoffLimit: 0
          template:
            spec:
              restartPolicy: Never
              containers:
                - name: migrate
                  image: busybox
                  command: ["sh", "-c", "echo migrating; exit \(exitCode)"]
        """
    }

    /// One application, its repository, cluster and ledger, and a reconciler on a ``ManualClock``.
    final class Fixture: Sendable {
        let directory: TemporaryDirectory
        let cluster: LocalCluster
        let client: KubeClient
        let daemon: GitDaemonServer
        let bare: BareRepository
        let work: GitRepository
        let ledger: Ledger
        let clock = ManualClock()

        init() async throws {
            directory = try TemporaryDirectory(label: "reconciler-clock")
            cluster = try LocalCluster(
                options: LocalClusterOptions(host: "127.0.0.1", port: 0, dataDirectory: directory.appending("cluster"), runPods: true))
            try await cluster.start()
            let connection = try KubeConfigLoader.load(
                explicitPath: cluster.kubeconfigURL.path, context: nil, environment: [:], homeDirectory: directory.path)
            var options = KubeClient.Options()
            options.qps = 0
            client = KubeClient(connection: connection, options: options)
            daemon = try await GitDaemonServer.start()
            bare = try daemon.createRepository(named: "deploy")
            work = try GitRepository(at: directory.appending("work"))
            ledger = try await Ledger.open(stateDirectory: directory.appending("state").path)
        }

        func stop() async {
            daemon.stop()
            await cluster.stop()
        }

        @discardableResult
        func push(_ files: [String: String]) throws -> String {
            for (file, text) in files.sorted(by: { $0.key < $1.key }) { try work.write(text, to: file) }
            let commit = try work.commit("change", allowEmpty: true)
            try work.push(to: bare)
            return commit
        }

        func reconciler(_ adjust: (inout AgentOptions) -> Void) throws -> Reconciler {
            var options = AgentOptions()
            adjust(&options)
            let application = AgentApplication(
                url: try RepositoryURL(daemon.url(for: "deploy")), spec: .branch("main"), path: "app",
                loadOptions: LoadOptions(defaultNamespace: "default"),
                sync: SyncConfiguration(app: "shop", hookTimeout: .seconds(60), healthTimeout: .seconds(60)))
            var logger = Logger(label: "test.reconciler")
            logger.logLevel = .critical
            return Reconciler(
                application: application, store: GitSourceStore(stateDirectory: directory.appending("state").path, clock: clock), client: client,
                ledger: ledger, options: options, metrics: AgentMetrics(), limiter: Limiter(limit: 1), checks: Limiter(limit: 1),
                logger: logger, clock: clock)
        }

        /// The attempts recorded, oldest first, as (trigger, outcome).
        func attempts() async throws -> [(trigger: Trigger, outcome: Outcome)] {
            try await ledger.history(app: "shop", limit: 100).reversed().map { ($0.trigger, $0.outcome) }
        }

        /// Waits until the reconciler has finished what `step` set off and sleeps again.
        func settle(after step: () async throws -> Void) async throws {
            let before = clock.sleeps.count
            try await step()
            try await waitUntil(timeout: .seconds(60), "the reconciler sleeps again") {
                clock.sleeps.count > before && clock.sleeping == 1
            }
        }
    }

    @Test("a failed hook is retried after each back-off on the clock, up to the limit; then only a new commit syncs, at the next poll")
    func retriesFollowTheClock() async throws {
        let fixture = try await Fixture()
        defer { Task { await fixture.stop() } }
        try fixture.push(["app/settings.yaml": Self.settings, "app/migrate.yaml": Self.migration(exitCode: 3)])
        let reconciler = try fixture.reconciler {
            $0.interval = .seconds(3600)
            $0.driftInterval = nil
            $0.retry = RetryPolicy(limit: 2, duration: .seconds(5), factor: 2)
        }
        let running = Task { await reconciler.run() }
        defer { running.cancel() }
        let clock = fixture.clock

        try await fixture.settle {}
        #expect(try await fixture.attempts().map(\.outcome) == [.failed])
        #expect(clock.sleeps.last == .seconds(5), "the first retry waits the back-off's first step, not the poll interval")

        // Just short of the back-off nothing happens: the sleeper is still waiting.
        clock.advance(by: .seconds(4))
        #expect(clock.sleeping == 1)
        #expect(try await fixture.attempts().count == 1)

        try await fixture.settle { clock.advance(by: .seconds(1)) }
        #expect(try await fixture.attempts().map(\.trigger) == [.poll, .retry])
        #expect(try await fixture.attempts().map(\.outcome) == [.failed, .failed])
        #expect(clock.sleeps.last == .seconds(10), "the back-off doubles")

        try await fixture.settle { clock.advance(by: .seconds(10)) }
        #expect(try await fixture.attempts().map(\.trigger) == [.poll, .retry, .retry])
        // The limit is used up: the next tick is the poll interval, with its ±10% jitter.
        let poll = try #require(clock.sleeps.last)
        #expect(poll >= .seconds(3240) && poll <= .seconds(3960), "slept \(poll)")

        // A new commit waits for that poll; a webhook-less agent does not see it sooner.
        try fixture.push(["app/migrate.yaml": Self.migration(exitCode: 0)])
        clock.advance(by: .seconds(3000))
        #expect(clock.sleeping == 1)
        #expect(try await fixture.attempts().count == 3)
        try await fixture.settle { clock.advance(by: .seconds(1000)) }
        let attempts = try await fixture.attempts()
        #expect(attempts.map(\.outcome) == [.failed, .failed, .failed, .succeeded])
        #expect(attempts.last?.trigger == .poll)
        let next = try #require(clock.sleeps.last)
        #expect(next >= .seconds(3240) && next <= .seconds(3960), "after a success the poll interval again, slept \(next)")
    }

    @Test("a commit pushed while a retry waits supersedes it when the retry falls due: the failed revision is recorded Superseded, the new one synced")
    func aNewCommitSupersedesThePendingRetry() async throws {
        let fixture = try await Fixture()
        defer { Task { await fixture.stop() } }
        let broken = try fixture.push(["app/settings.yaml": Self.settings, "app/migrate.yaml": Self.migration(exitCode: 3)])
        let reconciler = try fixture.reconciler {
            $0.interval = .seconds(3600)
            $0.driftInterval = nil
        }
        let running = Task { await reconciler.run() }
        defer { running.cancel() }
        let clock = fixture.clock

        try await fixture.settle {}
        #expect(clock.sleeps.last == .seconds(5))
        let fixed = try fixture.push(["app/migrate.yaml": Self.migration(exitCode: 0)])
        try await fixture.settle { clock.advance(by: .seconds(5)) }
        let attempts = try await fixture.ledger.history(app: "shop", limit: 10).reversed().map { ($0.revision, $0.trigger, $0.outcome) }
        #expect(attempts.map(\.0) == [broken, broken, fixed])
        #expect(attempts.map(\.1) == [.poll, .retry, .poll])
        #expect(attempts.map(\.2) == [.failed, .superseded, .succeeded])
    }

    @Test("with the Git server down the check backs off on the clock (never longer than the interval) and status says why; once it is back the next tick clears the error")
    func aSourceOutageBacksOff() async throws {
        let fixture = try await Fixture()
        defer { Task { await fixture.stop() } }
        try fixture.push(["app/settings.yaml": Self.settings])
        let reconciler = try fixture.reconciler {
            $0.interval = .seconds(8)
            $0.driftInterval = nil
        }
        let running = Task { await reconciler.run() }
        defer { running.cancel() }
        let clock = fixture.clock

        try await fixture.settle {}
        #expect(try await fixture.attempts().map(\.outcome) == [.succeeded])
        fixture.daemon.stop()
        try await fixture.settle { clock.advance(by: .seconds(10)) }
        let failing = try #require(try await fixture.ledger.application("shop"))
        #expect(failing.errorClass == "fetch")
        #expect(!failing.error.isEmpty)
        #expect(clock.sleeps.last == .seconds(5), "the first back-off step")
        try await fixture.settle { clock.advance(by: .seconds(5)) }
        #expect(clock.sleeps.last == .seconds(8), "the back-off (10 s) is capped by the interval")

        let restarted = try await GitDaemonServer.start(root: fixture.daemon.root, port: fixture.daemon.port)
        defer { restarted.stop() }
        try await fixture.settle { clock.advance(by: .seconds(8)) }
        let recovered = try #require(try await fixture.ledger.application("shop"))
        #expect(recovered.errorClass == "")
        #expect(recovered.error == "")
        // The head was applied before the outage: nothing was synced again.
        #expect(try await fixture.attempts().count == 1)
    }

    @Test("the drift check falls due on the clock's drift interval, not at every tick")
    func driftCheckFollowsTheClock() async throws {
        let fixture = try await Fixture()
        defer { Task { await fixture.stop() } }
        try fixture.push(["app/settings.yaml": Self.settings])
        let reconciler = try fixture.reconciler {
            $0.interval = .seconds(3600)
            $0.driftInterval = .seconds(600)
        }
        let running = Task { await reconciler.run() }
        defer { running.cancel() }
        let clock = fixture.clock

        try await fixture.settle {}
        #expect(try await fixture.attempts().map(\.outcome) == [.succeeded])
        let first = try #require(try await fixture.ledger.application("shop"))
        #expect(first.driftCheckedAt != nil, "the first drift check follows the first sync")
        #expect(first.drift.isEmpty)

        _ = try await fixture.client.mergePatch(
            GroupVersionKind(group: "", version: "v1", kind: "ConfigMap"), namespace: "default", name: "settings",
            patch: ["data": ["mode": "changed-by-hand"]])

        // A tick before the drift interval is over (a webhook) checks the source but not drift.
        clock.advance(by: .seconds(599))
        try await fixture.settle { await reconciler.trigger(.webhook) }
        let early = try #require(try await fixture.ledger.application("shop"))
        #expect(early.drift.isEmpty)
        #expect(early.driftCheckedAt == first.driftCheckedAt)

        clock.advance(by: .seconds(1))
        try await fixture.settle { await reconciler.trigger(.webhook) }
        let due = try #require(try await fixture.ledger.application("shop"))
        #expect(due.drift == ["/ConfigMap/default/settings"])
        // Neither tick recorded an attempt: the head was already applied.
        #expect(try await fixture.attempts().count == 1)
    }
}
