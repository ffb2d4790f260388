import ArgumentParser
import Foundation
import KubeClient
import LocalCluster

/// TARGET in DESIGN.md: which cluster, and the default namespace.
struct TargetOptions: ParsableArguments {
    @Option(help: ArgumentHelp("kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).", valueName: "file"))
    var kubeconfig: String?

    @Option(help: ArgumentHelp("kubeconfig context (default: the current context).", valueName: "name"))
    var context: String?

    @Flag(help: "Use the pod's service account (in-cluster configuration).")
    var inCluster = false

    @Option(help: ArgumentHelp("Default namespace for namespaced objects that name none (default: the context's, else default).", valueName: "ns"))
    var namespace: String?

    @Option(help: ArgumentHelp("Namespace of the applications' inventory ConfigMaps (the agent's namespace).", valueName: "ns"))
    var inventoryNamespace: String?

    @Option(help: ArgumentHelp(
        "Client-side limit on API requests per second (0: none). Default: 50, until the server announces API Priority and Fairness; then the server throttles.",
        valueName: "qps"))
    var kubeQPS: Double?

    @Option(help: ArgumentHelp("Requests allowed at once above the average rate.", valueName: "n"))
    var kubeBurst: Int = 100

    @Option(help: ArgumentHelp("API requests in flight at once, whatever the rate (watches aside).", valueName: "n"))
    var kubeMaxInFlight: Int = 64
}

/// A connected cluster, and the embedded LocalCluster when one had to be started.
struct ConnectedCluster {
    var client: KubeClient
    var embedded: LocalCluster?
    var description: String
    var inventoryNamespace: String
    /// True for the pod's service account (the agent then elects a leader by default).
    var inCluster = false

    func stop() async {
        if let embedded { await embedded.stop() }
    }
}

extension TargetOptions {
    /// Connects: `--kubeconfig`/`$KUBECONFIG`/`~/.kube/config`, then the in-cluster service account,
    /// then the embedded LocalCluster in `STATE/local-cluster` (saying so on stderr, with the
    /// kubeconfig path for kubectl). Exits 2 on a broken configuration, 4 when the cluster cannot be reached.
    func connect(stateDirectory: String, runPods: Bool = true) async throws -> ConnectedCluster {
        let environment = ProcessInfo.processInfo.environment
        var options = KubeClient.Options()
        options.qps = kubeQPS
        options.burst = kubeBurst
        options.maxInFlight = max(1, kubeMaxInFlight)
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        if let connection = try configured(environment: environment, home: home) {
            // In a pod, the agent's namespace is its service account's.
            let inventoryNamespace = self.inventoryNamespace ?? (connection.1 ? connection.0.namespace : "sluice-system")
            var connected = try await reach(connection.0, options: options, embedded: nil, inventoryNamespace: inventoryNamespace)
            connected.inCluster = connection.1
            return connected
        }
        let directory = URL(fileURLWithPath: stateDirectory, isDirectory: true).appendingPathComponent("local-cluster", isDirectory: true)
        let kubeconfigPath = directory.appendingPathComponent("kubeconfig").path
        let inventoryNamespace = self.inventoryNamespace ?? "sluice-system"
        // A `sluice local-cluster --data STATE/local-cluster` may be serving already: use it.
        // Only when something listens on its port: a kubeconfig left by an earlier embedded run names a
        // port nobody serves, and asking it would cost the client's connection retries (seconds).
        if FileManager.default.fileExists(atPath: kubeconfigPath),
            let running = try? KubeConfigLoader.load(explicitPath: kubeconfigPath, context: nil, environment: [:], homeDirectory: home),
            Self.somethingListens(at: running.server),
            let connected = try? await reach(running, options: options, embedded: nil, inventoryNamespace: inventoryNamespace)
        {
            FileHandle.standardError.write(Data(
                "sluice: no cluster configured; using the LocalCluster serving \(directory.path) (kubeconfig for kubectl: \(kubeconfigPath))\n".utf8))
            return connected
        }
        let cluster: LocalCluster
        let connection: ClusterConnection
        do {
            cluster = try LocalCluster(options: LocalClusterOptions(host: "127.0.0.1", port: 0, dataDirectory: directory, runPods: runPods))
            try await cluster.start()
            connection = try KubeConfigLoader.load(explicitPath: kubeconfigPath, context: nil, environment: [:], homeDirectory: home)
        } catch {
            throw CLIExit(code: 4, message: "cannot start the embedded LocalCluster in \(directory.path): \(error)")
        }
        FileHandle.standardError.write(Data(
            ("sluice: no cluster configured; using the embedded LocalCluster in \(directory.path) for the duration of this command "
                + "(kubeconfig: \(kubeconfigPath); serve it with 'sluice local-cluster --data \(directory.path)' to use kubectl between commands)\n").utf8))
        return try await reach(connection, options: options, embedded: cluster, inventoryNamespace: inventoryNamespace)
    }

    /// The configured cluster: `--in-cluster`, else kubeconfig, else in-cluster when in a pod; `nil`
    /// when nothing is configured. The flag says whether it is the in-cluster configuration.
    func configured(environment: [String: String], home: String) throws -> (ClusterConnection, Bool)? {
        if inCluster {
            do {
                return (try KubeConfigLoader.inCluster(environment: environment), true)
            } catch {
                throw CLIExit.usage("--in-cluster: \(error.message)")
            }
        }
        // A $KUBECONFIG that names a file which is not there is a mistake to report, never a reason to
        // fall back to the embedded cluster (the sync would go to the wrong place, silently).
        if kubeconfig == nil, let list = environment["KUBECONFIG"], !list.isEmpty {
            for path in list.split(separator: ":").map(String.init) where !path.isEmpty {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw CLIExit.usage("$KUBECONFIG names \(path), which does not exist; fix or unset KUBECONFIG, or give --kubeconfig")
                }
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw CLIExit.usage("$KUBECONFIG names \(path), which cannot be read (permissions); fix or unset KUBECONFIG, or give --kubeconfig")
                }
            }
        }
        do {
            return (try KubeConfigLoader.load(explicitPath: kubeconfig, context: context, environment: environment, homeDirectory: home), false)
        } catch where error.code == .notFound && kubeconfig == nil {
            return (try? KubeConfigLoader.inCluster(environment: environment)).map { ($0, true) }
        } catch {
            throw CLIExit.usage(error.message)
        }
    }

    /// Whether a server listens at a loopback URL's port (it cannot be bound).
    static func somethingListens(at server: String) -> Bool {
        guard let url = URL(string: server), let port = url.port, let host = url.host else { return false }
        do {
            try ListenCheck.check(host: host, port: port)
            return false
        } catch {
            return true
        }
    }

    /// A client for `connection` that has answered once (exit 4 when it does not).
    func reach(_ connection: ClusterConnection, options: KubeClient.Options, embedded: LocalCluster?, inventoryNamespace: String) async throws -> ConnectedCluster {
        var connection = connection
        if let namespace { connection.namespace = namespace }
        let client = KubeClient(connection: connection, options: options)
        do {
            _ = try await client.serverVersion()
        } catch {
            if let embedded { await embedded.stop() }
            throw CLIExit(code: 4, message: "cannot reach the cluster at \(connection.server): \(error.message)")
        }
        return ConnectedCluster(client: client, embedded: embedded, description: connection.server, inventoryNamespace: inventoryNamespace)
    }
}
