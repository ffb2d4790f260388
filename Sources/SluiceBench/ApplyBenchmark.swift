import Foundation
import KubeClient
import KubeModel
import LocalCluster
import TestSupport

/// `scripts/bench/apply`: 2,000 ConfigMaps and 200 Deployments applied to LocalCluster by
/// KubeClient (server-side apply, in its own process) and by `kubectl apply --server-side -f` on
/// the same files, in the same run, each into a fresh namespace. Prints objects per second, client
/// CPU per object, peak resident memory and the ratios.
enum ApplyBenchmark {
    static func run(configMaps: Int, deployments: Int) async throws {
        let work = try TemporaryDirectory(label: "bench-apply")
        defer { work.remove() }
        let cluster = try LocalCluster(options: LocalClusterOptions(port: 0, dataDirectory: work.appending("cluster")))
        try await cluster.start()
        let files = try work.makeSubdirectory("manifests")
        for index in 0..<configMaps {
            let object: JSONValue = [
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string("config-\(index)"), "labels": ["app": "bench"]],
                "data": ["index": .string(String(index)), "payload": .string(String(repeating: "x", count: 200))],
            ]
            try Data(object.serialized(pretty: true).utf8).write(to: files.appendingPathComponent(String(format: "cm-%05d.json", index)))
        }
        for index in 0..<deployments {
            let name = "app-\(index)"
            let object: JSONValue = [
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name)],
                "spec": [
                    "replicas": 1, "selector": ["matchLabels": ["app": .string(name)]],
                    "template": [
                        "metadata": ["labels": ["app": .string(name)]],
                        "spec": ["containers": [["name": "main", "image": "nginx:1.27", "ports": [["containerPort": 80]], "env": [["name": "INDEX", "value": .string(String(index))]]]]],
                    ],
                ],
            ]
            try Data(object.serialized(pretty: true).utf8).write(to: files.appendingPathComponent(String(format: "deploy-%05d.json", index)))
        }
        let total = configMaps + deployments
        let me = CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0] : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0]
        let caFile = work.appending("ca.crt")
        try Data(cluster.caCertificatePEM.utf8).write(to: caFile)
        let tokenFile = work.appending("token")
        try Data(cluster.token.utf8).write(to: tokenFile)
        for namespace in ["bench-sluice", "bench-sluice-limited", "bench-kubectl"] {
            _ = try ProcessRunner.run("kubectl", ["--kubeconfig", cluster.kubeconfigURL.path, "create", "namespace", namespace], check: true)
        }
        print("Applying \(configMaps) ConfigMaps and \(deployments) Deployments (\(total) objects) to LocalCluster at \(cluster.url)\n")
        let sluice = try measure([me, "op", "apply", cluster.url, caFile.path, tokenFile.path, files.path, "bench-sluice", "0"])
        guard sluice.exitCode == 0 else { throw BenchError("sluice apply failed: \(sluice.output)") }
        let limited = try measure([me, "op", "apply", cluster.url, caFile.path, tokenFile.path, files.path, "bench-sluice-limited", "50"])
        guard limited.exitCode == 0 else { throw BenchError("sluice apply (rate limited) failed: \(limited.output)") }
        let kubectl = try measure(
            ["kubectl", "--kubeconfig", cluster.kubeconfigURL.path, "apply", "--server-side", "-n", "bench-kubectl", "-f", files.path],
            environment: ["KUBECONFIG": ""])
        guard kubectl.exitCode == 0 else { throw BenchError("kubectl apply failed: \(kubectl.output.suffix(500))") }
        await cluster.stop()

        func rate(_ m: Measurement) -> Double { Double(total) / max(m.seconds, 0.000_001) }
        func cpu(_ m: Measurement) -> Double { (m.cpuSeconds / Double(total)) * 1000 }
        let rows: [(String, Measurement)] = [
            ("sluice (KubeClient, no client rate limit)", sluice), ("sluice (KubeClient, default 50 QPS / 100 burst)", limited),
            ("kubectl apply --server-side -f", kubectl),
        ]
        print("client                                              seconds    objects/s   CPU ms/object   peak RSS")
        for (name, m) in rows {
            print(
                name.padding(toLength: 50, withPad: " ", startingAt: 0)
                    + String(format: "%9.3f  %11.0f  %14.2f  %7.1f MB", m.seconds, rate(m), cpu(m), Double(m.peakRSSKiB) / 1024))
        }
        print("")
        print(String(format: "throughput, sluice / kubectl: %.1fx (aim: at least 5x)", rate(sluice) / rate(kubectl)))
        print(String(format: "client CPU per object, sluice: %.2f ms (aim: under 10 ms); kubectl: %.2f ms", cpu(sluice), cpu(kubectl)))
        print(String(format: "peak memory, sluice: %.1f MB (aim: under 128 MB); kubectl: %.1f MB", Double(sluice.peakRSSKiB) / 1024, Double(kubectl.peakRSSKiB) / 1024))
        print(String(format: "at the default rate limit, sluice takes %.1f s: the limit (50/s after a burst of 100), not the client, sets the pace", limited.seconds))
    }

    /// The measured side: applies every JSON file in a directory with KubeClient, ConfigMaps first
    /// then Deployments (as a sync's kind order would), each kind concurrently.
    static func applyDirectory(server: String, caFile: String, tokenFile: String, directory: String, namespace: String, qps: Double) async throws {
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let kubeconfig = """
            apiVersion: v1
            kind: Config
            clusters: [{name: bench, cluster: {server: "\(server)", certificate-authority: "\(caFile)"}}]
            users: [{name: bench, user: {token: "\(token)"}}]
            contexts: [{name: bench, context: {cluster: bench, user: bench, namespace: "\(namespace)"}}]
            current-context: bench
            """
        let configFile = NSTemporaryDirectory() + "sluice-bench-\(UUID().uuidString).kubeconfig"
        try Data(kubeconfig.utf8).write(to: URL(fileURLWithPath: configFile))
        defer { try? FileManager.default.removeItem(atPath: configFile) }
        let connection = try KubeConfigLoader.load(explicitPath: configFile, context: nil, environment: [:], homeDirectory: NSHomeDirectory())
        var options = KubeClient.Options()
        options.qps = qps
        let client = KubeClient(connection: connection, options: options)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        var byKind: [String: [JSONValue]] = [:]
        for name in names where name.hasSuffix(".json") {
            let object = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))))
            byKind[object.kind ?? "", default: []].append(object)
        }
        for kind in ["ConfigMap", "Deployment"] {
            let objects = byKind[kind] ?? []
            try await withThrowingTaskGroup(of: Void.self) { group in
                var next = 0
                // A window of requests in flight, like a sync applying one kind of one wave.
                for _ in 0..<min(64, objects.count) {
                    let object = objects[next]
                    next += 1
                    group.addTask { _ = try await client.apply(object) }
                }
                while try await group.next() != nil {
                    if next < objects.count {
                        let object = objects[next]
                        next += 1
                        group.addTask { _ = try await client.apply(object) }
                    }
                }
            }
        }
        print("applied \(byKind.values.reduce(0) { $0 + $1.count }) objects")
    }
}
