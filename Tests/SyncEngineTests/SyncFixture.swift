import Delivery
import Foundation
import GitSource
import KubeClient
import KubeModel
import Ledger
import LocalCluster
import Manifests
import SyncEngine
import TestSupport

/// A whole Sluice sync set-up for end-to-end tests: LocalCluster running pods as processes, a Git
/// repository served by `git daemon`, a ledger, and an ``ApplicationSync`` for one application.
///
/// Tests write manifests into the working repository, ``push(_:)`` them, and ``sync(_:)``.
final class SyncFixture: Sendable {
    let directory: TemporaryDirectory
    let cluster: LocalCluster
    let client: KubeClient
    let work: GitRepository
    let daemon: GitDaemonServer
    let bare: BareRepository
    let ledger: Ledger
    let app: String
    let path: String

    init(app: String = "shop", path: String = "app") async throws {
        directory = try TemporaryDirectory(label: "sync")
        cluster = try LocalCluster(
            options: LocalClusterOptions(host: "127.0.0.1", port: 0, dataDirectory: directory.appending("cluster"), runPods: true))
        try await cluster.start()
        let connection = try KubeConfigLoader.load(
            explicitPath: cluster.kubeconfigURL.path, context: nil, environment: [:], homeDirectory: directory.path)
        var options = KubeClient.Options()
        options.qps = 0
        client = KubeClient(connection: connection, options: options)
        work = try GitRepository(at: directory.appending("work"))
        daemon = try await GitDaemonServer.start()
        bare = try daemon.createRepository(named: "deploy")
        ledger = try await Ledger.open(stateDirectory: directory.appending("state").path)
        self.app = app
        self.path = path
    }

    /// The application's source: the repository over git://, following `main`; objects that name no
    /// namespace go to `namespace`.
    func source(path: String? = nil, namespace: String = "default") throws -> ApplicationSource {
        let url = try RepositoryURL(daemon.url(for: "deploy"))
        let mirror = GitMirror(url: url, stateDirectory: directory.appending("state").path)
        return ApplicationSource(mirror: mirror, spec: .branch("main"), path: path ?? self.path, loadOptions: LoadOptions(defaultNamespace: namespace))
    }

    /// Writes `files` (path → text, relative to the repository root; `nil` removes), commits and pushes; returns the commit.
    @discardableResult
    func push(_ files: [String: String?], message: String = "change") throws -> String {
        for (file, text) in files.sorted(by: { $0.key < $1.key }) {
            if let text {
                try work.write(text, to: file)
            } else {
                try work.remove(file)
            }
        }
        let commit = try work.commit(message, allowEmpty: true)
        try work.push(to: bare)
        return commit
    }

    /// The configuration tests start from: short health waits, and the application's name.
    func configuration(_ adjust: (inout SyncConfiguration) -> Void = { _ in }) -> SyncConfiguration {
        var configuration = SyncConfiguration(app: app, healthTimeout: .seconds(60))
        adjust(&configuration)
        return configuration
    }

    /// Fetches the branch head and syncs it.
    func sync(
        trigger: Trigger = .poll, path: String? = nil, revision: String? = nil, namespace: String = "default",
        progress: SyncProgress? = nil, _ adjust: (inout SyncConfiguration) -> Void = { _ in }
    ) async throws -> SyncResult {
        let application = ApplicationSync(
            source: try source(path: path, namespace: namespace),
            runner: SyncRunner(client: client, recorder: ledger, configuration: configuration(adjust), progress: progress), ledger: ledger)
        let fetched = try await application.fetch(revision: revision)
        return try await application.sync(fetched, trigger: trigger)
    }

    /// What `sluice plan` would print for the branch head.
    func plan(_ adjust: (inout SyncConfiguration) -> Void = { _ in }) async throws -> PlanReport {
        let application = ApplicationSync(
            source: try source(), runner: SyncRunner(client: client, recorder: ledger, configuration: configuration(adjust)), ledger: ledger)
        return try await application.plan(try await application.fetch())
    }

    /// The ledger's full record of an attempt.
    func detail(_ result: SyncResult) async throws -> AttemptDetail {
        try await ledger.detail(of: try await ledger.attempt(result.attempt))
    }

    /// The live object, or `nil`.
    func live(_ apiVersion: String, _ kind: String, _ name: String, namespace: String = "default") async throws -> JSONValue? {
        let parts = apiVersion.split(separator: "/").map(String.init)
        let gvk = parts.count == 2
            ? GroupVersionKind(group: parts[0], version: parts[1], kind: kind) : GroupVersionKind(group: "", version: apiVersion, kind: kind)
        let result: Result<JSONValue, KubeClientError>
        do {
            result = .success(try await client.get(gvk, namespace: namespace.isEmpty ? nil : namespace, name: name))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let object): return object
        case .failure(let error) where error.code == .notFound: return nil
        case .failure(let error): throw error
        }
    }

    func stop() async {
        try? await ledger.close()
        await cluster.stop()
        daemon.stop()
    }
}

/// A line of a task summary: `PHASE/WAVE KIND NAME ACTION STATUS`.
func taskLines(_ detail: AttemptDetail) -> [String] {
    detail.tasks.map { "\($0.phase)/\($0.wave) \($0.object.kind) \($0.object.name) \($0.action.rawValue) \($0.status.rawValue)" }
}

/// Manifests as YAML text.
enum YAML {
    static func configMap(_ name: String, data: String = "a: \"1\"", annotations: [String: String] = [:], namespace: String? = nil) -> String {
        """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: \(name)
        \(namespace.map { "  namespace: \($0)\n" } ?? "")\(annotationBlock(annotations))data:
          \(data)

        """
    }

    /// A Job running `script` with `sh -c`.
    static func job(_ name: String, script: String, annotations: [String: String] = [:], generateName: Bool = false, backoffLimit: Int = 0) -> String {
        """
        apiVersion: batch/v1
        kind: Job
        metadata:
          \(generateName ? "generateName" : "name"): \(name)
        \(annotationBlock(annotations))spec:
          backoffLimit: \(backoffLimit)
          template:
            spec:
              restartPolicy: Never
              containers:
                - name: main
                  image: alpine
                  command: ["sh", "-c", \(quoted(script))]

        """
    }

    /// A Deployment of one replica whose container runs `script`. Its readiness probe first runs
    /// a second after the container started, so a long-running one is ready after a second and one
    /// that keeps exiting at once never is.
    static func deployment(_ name: String, script: String = "sleep 3600", annotations: [String: String] = [:], replicas: Int = 1) -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: \(name)
        \(annotationBlock(annotations))spec:
          replicas: \(replicas)
          selector:
            matchLabels:
              app: \(name)
          template:
            metadata:
              labels:
                app: \(name)
            spec:
              containers:
                - name: main
                  image: nginx
                  command: ["sh", "-c", \(quoted(script))]
                  readinessProbe:
                    exec:
                      command: ["true"]
                    initialDelaySeconds: 1
                    periodSeconds: 1

        """
    }

    static func annotationBlock(_ annotations: [String: String]) -> String {
        guard !annotations.isEmpty else { return "" }
        return "  annotations:\n" + annotations.sorted(by: { $0.key < $1.key }).map { "    \($0.key): \(quoted($0.value))\n" }.joined()
    }

    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func documents(_ parts: String...) -> String {
        parts.joined(separator: "---\n")
    }
}

// MARK: Helpers for the hook, prune and delta tests

extension SyncFixture {
    /// The names of the live objects of a kind in `namespace` (all namespaces when `nil`), sorted.
    func names(_ apiVersion: String, _ kind: String, namespace: String? = "default", labelSelector: String? = nil) async throws -> [String] {
        let parts = apiVersion.split(separator: "/").map(String.init)
        let gvk = parts.count == 2
            ? GroupVersionKind(group: parts[0], version: parts[1], kind: kind) : GroupVersionKind(group: "", version: apiVersion, kind: kind)
        return try await client.list(gvk, namespace: namespace, labelSelector: labelSelector).items.compactMap(\.name).sorted()
    }

    /// The application's inventory as its ConfigMap holds it.
    func inventory() async throws -> Inventory? {
        try await InventoryStore(client: client, app: app, namespace: "sluice-system").read()
    }
}

extension YAML {
    /// A ReplicaSet of one replica whose container is a server (no command: ready at once).
    static func replicaSet(_ name: String, tier: String? = nil, annotations: [String: String] = [:]) -> String {
        """
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata:
          name: \(name)
        \(annotationBlock(annotations))spec:
          replicas: 1
          selector:
            matchLabels:
              tier: \(tier ?? name)
          template:
            metadata:
              labels:
                tier: \(tier ?? name)
            spec:
              containers:
                - name: main
                  image: nginx:latest

        """
    }

    /// A ClusterIP Service selecting `tier`.
    static func service(_ name: String, tier: String? = nil, port: Int = 80, annotations: [String: String] = [:]) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata:
          name: \(name)
        \(annotationBlock(annotations))spec:
          selector:
            tier: \(tier ?? name)
          ports:
            - protocol: TCP
              port: \(port)
              targetPort: \(port)

        """
    }
}

/// The attempt's first task on the object named `name` with `action`.
func task(_ detail: AttemptDetail, _ name: String, _ action: TaskAction = .created) -> TaskRecord? {
    detail.tasks.first { $0.object.name == name && $0.action == action }
}

extension SyncFixture {
    /// Runs `body` with a new fixture and stops it before returning, whether `body` throws or not, so
    /// the cluster's pods and the git daemon never outlive the test.
    static func with(app: String = "shop", path: String = "app", _ body: (SyncFixture) async throws -> Void) async throws {
        let fixture = try await SyncFixture(app: app, path: path)
        do {
            try await body(fixture)
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }
}
