import Foundation
import GitSource
import KubeClient
import KubeModel
import Ledger
import LocalCluster
import Logging
import NIOCore
import Synchronization
import SyncEngine
import TestSupport
import Testing

@testable import Agent

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The parts of the agent's HTTP surface that are decided in one place: the status snapshot
/// against the ledger it mirrors, the delivery log's window and bound, each forge's delivery id,
/// and a failing ledger's error kept out of the API's answers (an agent run in-process, against
/// LocalCluster, with its ledger closed under it).
@Suite("The agent's HTTP surface: snapshot, delivery ids, error answers")
struct HTTPSurfaceTests {
    static let revisions = (0..<4).map { String(repeating: "\($0 + 1)", count: 40) }

    @Test("the snapshot's answer is byte for byte what Ledger.statusJSON gives, for applications in every state")
    func snapshotMatchesLedger() async throws {
        let directory = try TemporaryDirectory(label: "snapshot")
        let ledger = try await Ledger.open(stateDirectory: directory.appending("state").path)
        // shop: synced, then a second attempt running; api: failed and stalled, drifted and
        // quarantined; batch: suspended with a check recorded; fresh: a record only; ghost: nothing.
        try await ledger.recordSource(app: "shop", repo: "https://git.example.com/shop.git", spec: "branch main", path: "deploy", namespace: "shop")
        let applied = try await ledger.beginAttempt(app: "shop", revision: Self.revisions[0], ref: "main", author: "a", message: "one", trigger: .poll)
        try await ledger.finishAttempt(applied, outcome: .succeeded, message: "")
        _ = try await ledger.beginAttempt(app: "shop", revision: Self.revisions[1], ref: "main", author: "a", message: "two", trigger: .webhook)
        try await ledger.recordHealth("Healthy", message: "", app: "shop")
        try await ledger.recordSource(app: "api", repo: "git@git.example.com:api.git", spec: "tag v1", path: "", settings: "digest")
        let failed = try await ledger.beginAttempt(app: "api", revision: Self.revisions[2], ref: "v1", author: "b", message: "bad", trigger: .poll)
        try await ledger.finishAttempt(failed, outcome: .failed, message: "invalid manifests")
        try await ledger.recordError("stalled", "invalid manifests", stalledRevision: Self.revisions[2], app: "api")
        try await ledger.recordDrift(["/ConfigMap/default/b", "/ConfigMap/default/a"], app: "api")
        try await ledger.setQuarantined([Self.revisions[3], Self.revisions[2]], app: "api")
        try await ledger.recordHealth("Degraded", message: "Deployment api/web: 0 of 1", app: "api")
        try await ledger.setSuspended(true, app: "batch", reason: "change freeze")
        try await ledger.recordCheck(app: "batch", seen: Self.revisions[3], next: Date(timeIntervalSince1970: 1_900_000_000.123))
        try await ledger.recordSource(app: "fresh", repo: "/srv/git/fresh", spec: "", path: "k8s")
        let apps = ["api", "batch", "fresh", "ghost", "shop"]

        var logger = Logger(label: "test.snapshot")
        logger.logLevel = .critical
        let snapshot = StatusSnapshot(ledger: ledger, logger: logger)
        for app in apps.shuffled() {
            snapshot.started(app)
            await snapshot.refresh(app)
        }
        // What `GET /api/v1/apps` answered before the snapshot: the ledger's statusJSON, read per request.
        let expected = JSONValue.array(try await ledger.statusJSON(apps: apps)).serialized(pretty: true) + "\n"
        #expect(String(buffer: snapshot.body()) == expected)

        // A change is seen at the next refresh, and only then; a stopped application leaves the answer.
        try await ledger.setSuspended(false, app: "batch", reason: "")
        #expect(String(buffer: snapshot.body()) == expected)
        await snapshot.refresh("batch")
        snapshot.stopped("ghost")
        await snapshot.refresh("ghost")  // a refresh landing after the stop does not bring it back
        let changed = JSONValue.array(try await ledger.statusJSON(apps: ["api", "batch", "fresh", "shop"])).serialized(pretty: true) + "\n"
        #expect(String(buffer: snapshot.body()) == changed)
        #expect(changed != expected)
        try await ledger.close()
    }

    @Test("a delivery id is accepted once within the window, again after it; at most `capacity` ids are kept, the oldest forgotten first")
    func deliveryLog() {
        let log = DeliveryLog(window: .seconds(3600), capacity: 3)
        let start = ContinuousClock.now
        #expect(log.accept("github:a", now: start))
        #expect(!log.accept("github:a", now: start + .seconds(10)))
        #expect(log.accept("gitea:a", now: start + .seconds(10)), "ids are per forge")
        #expect(!log.accept("github:a", now: start + .seconds(3599)))
        #expect(log.accept("github:a", now: start + .seconds(3600)), "past the window the id is forgotten")

        // Over capacity: the oldest goes first, and no more than three are kept.
        let bounded = DeliveryLog(window: .seconds(3600), capacity: 3)
        for (index, id) in ["1", "2", "3", "4"].enumerated() {
            #expect(bounded.accept(id, now: start + .seconds(index)))
        }
        #expect(bounded.count == 3)
        #expect(bounded.accept("1", now: start + .seconds(5)), "the oldest was forgotten")
        #expect(!bounded.accept("4", now: start + .seconds(6)))
        for index in 0..<10_000 { _ = bounded.accept("flood-\(index)", now: start + .seconds(7)) }
        #expect(bounded.count == 3)

        // An id too long to keep is not kept.
        let long = String(repeating: "x", count: DeliveryLog.maxIDLength + 1)
        #expect(log.accept(long, now: start) && log.accept(long, now: start))
    }

    @Test("each forge's delivery id header", arguments: Webhook.allCases)
    func deliveryIDs(_ forge: Webhook) {
        let headers: [String: String]
        switch forge {
        case .github: headers = ["x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"]
        case .gitlab: headers = ["idempotency-key": "72d3162e-cc78-11e3-81ab-4c9367dc0958", "x-gitlab-event-uuid": "other"]
        case .gitea: headers = ["x-gitea-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"]
        case .bitbucket: headers = ["x-request-uuid": "72d3162e-cc78-11e3-81ab-4c9367dc0958"]
        case .generic: headers = ["x-sluice-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"]
        }
        #expect(forge.deliveryID(headers: headers) == "72d3162e-cc78-11e3-81ab-4c9367dc0958")
        #expect(forge.deliveryID(headers: [:]) == nil)
        // Another forge's header is not this forge's id.
        #expect(forge.deliveryID(headers: ["x-unrelated-delivery": "x"]) == nil)
        if forge == .gitlab { #expect(forge.deliveryID(headers: ["x-gitlab-event-uuid": "e"]) == "e") }
        if forge == .gitea { #expect(forge.deliveryID(headers: ["x-forgejo-delivery": "f"]) == "f") }
        if forge == .bitbucket { #expect(forge.deliveryID(headers: ["x-request-id": "d"]) == "d") }
    }

    /// Log lines kept in memory, for what the agent logged.
    final class Capture: LogHandler, @unchecked Sendable {
        let lines = Mutex<[String]>([])
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            lines.withLock { $0.append("\(event.message) \(all)") }
        }
    }

    @Test("a ledger that fails: the API answers 500 naming what could not be done, never the ledger's file; the log has the detail")
    func ledgerErrorsNameNoPath() async throws {
        let directory = try TemporaryDirectory(label: "api-errors")
        let cluster = try LocalCluster(options: LocalClusterOptions(host: "127.0.0.1", port: 0, dataDirectory: directory.appending("cluster")))
        try await cluster.start()
        let connection = try KubeConfigLoader.load(explicitPath: cluster.kubeconfigURL.path, context: nil, environment: [:], homeDirectory: directory.path)
        let client = KubeClient(connection: connection)
        let state = directory.appending("state").path
        let ledger = try await Ledger.open(stateDirectory: state)
        let capture = Capture()
        let application = AgentApplication(
            url: try RepositoryURL(directory.appending("no-repository").path), spec: .branch("main"), path: "app",
            sync: SyncConfiguration(app: "shop"))
        var options = AgentOptions()
        options.interval = .seconds(3600)
        options.driftInterval = nil
        let agent = Agent(
            applications: [application], client: client, ledger: ledger, stateDirectory: state, options: options, listen: ("127.0.0.1", 0),
            apiToken: Array("token".utf8), logger: Logger(label: "test.agent") { _ in capture })
        let running = Task { try await agent.run() }
        defer { running.cancel() }
        try await waitUntil(timeout: .seconds(30), "the agent listens and runs the application") {
            let reconcilers = await agent.reconcilers
            return agent.port != nil && !reconcilers.isEmpty
        }
        let port = try #require(agent.port)
        func get(_ path: String, method: String = "GET") async throws -> (Int, String) {
            var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(path)")))
            request.httpMethod = method
            request.setValue("Bearer token", forHTTPHeaderField: "Authorization")
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }
        #expect(try await get("/api/v1/apps/shop/history").0 == 200)

        try await ledger.close()
        let history = try await get("/api/v1/apps/shop/history")
        #expect(history.0 == 500)
        #expect(history.1 == "could not read the history of shop: the agent's ledger failed (the agent's log says why)\n", "\(history.1)")
        let detail = try await get("/api/v1/apps/shop/history/\(Self.revisions[0])")
        #expect(detail.0 == 500)
        let suspend = try await get("/api/v1/apps/shop/suspend", method: "POST")
        #expect(suspend.0 == 500)
        for answer in [history.1, detail.1, suspend.1] {
            #expect(!answer.contains(state) && !answer.contains("ledger.sqlite") && !answer.contains("closed"), "\(answer)")
        }
        // The detail, with the ledger's file, is in the log instead.
        let logged = capture.lines.withLock { $0 }.filter { $0.contains("the API could not") }
        #expect(logged.count == 3, "\(logged)")
        #expect(logged.allSatisfy { $0.contains(state) }, "\(logged)")
        running.cancel()
        _ = try? await running.value
        await cluster.stop()
    }
}
