import Foundation
import TestSupport

/// `scripts/bench/apply-sync`: a first sync of 1,000 ConfigMaps and 100 Deployments, and then a
/// one-object change, with `sluice sync` at its default settings, against `kubectl apply
/// --server-side` of the same files followed by `kubectl wait --for=condition=Available` for the
/// Deployments (what a sync does: apply, then wait), on the same `sluice local-cluster`, in the
/// same run. Then the same again against a cluster that serves only a few requests at once
/// (`--max-requests-inflight`), where both clients must slow down without failing.
enum ApplySyncBenchmark {
    struct Round {
        var sluiceFirst: Measurement
        var sluiceChange: Measurement
        var kubectlApply: Measurement
        var kubectlWait: Measurement
        var kubectlChange: Measurement
        var refusedByServer: String
    }

    static func run(configMaps: Int, deployments: Int, sluice: String, lowInFlight: Int) throws {
        let work = try TemporaryDirectory(label: "bench-apply-sync")
        defer { work.remove() }
        let home = try work.makeSubdirectory("home")
        let environment = ["HOME": home.path, "KUBECONFIG": ""]
        let repository = try GitRepository(at: work.appending("repo"))
        for index in 0..<configMaps {
            try repository.write(configMap(index, value: "v1"), to: String(format: "app/config/cm-%05d.yaml", index))
        }
        for index in 0..<deployments {
            try repository.write(deployment(index), to: String(format: "app/deploy/deploy-%05d.yaml", index))
        }
        _ = try repository.commit("\(configMaps) ConfigMaps, \(deployments) Deployments")
        let total = configMaps + deployments
        print("apply-sync: \(configMaps) ConfigMaps and \(deployments) Deployments (\(total) objects), \(ProcessInfo.processInfo.activeProcessorCount) cores, sluice \(sluice)\n")

        var rounds: [(String, Round)] = []
        for (label, limit) in [("default server (600 in flight)", 600), ("server serving \(lowInFlight) at once", lowInFlight)] {
            let round = try measureRound(
                label: label, maxInFlight: limit, sluice: sluice, repository: repository, work: work, environment: environment, configMaps: configMaps,
                deployments: deployments)
            rounds.append((label, round))
        }

        for (label, round) in rounds {
            print("\n\(label)")
            print("measure                                                     seconds   CPU s   peak RSS")
            for (name, m) in [
                ("sluice sync, first (defaults: apply + health wait)", round.sluiceFirst),
                ("kubectl apply --server-side -f (bare)", round.kubectlApply),
                ("kubectl wait --for=condition=Available (after it)", round.kubectlWait),
                ("sluice sync, one ConfigMap changed", round.sluiceChange),
                ("kubectl apply --server-side -f, one changed", round.kubectlChange),
            ] {
                print(name.padding(toLength: 58, withPad: " ", startingAt: 0) + String(format: "%8.2f  %6.2f  %6.1f MB", m.seconds, m.cpuSeconds, Double(m.peakRSSKiB) / 1024))
            }
            let applyAndWait = round.kubectlApply.seconds + round.kubectlWait.seconds
            print(String(format: "kubectl apply + wait: %.2f s; sluice sync is %.2fx faster (aim: at least 2x)", applyAndWait, applyAndWait / round.sluiceFirst.seconds))
            print(String(format: "sluice sync / bare kubectl apply: %.2fx the time (aim: within 2x)", round.sluiceFirst.seconds / round.kubectlApply.seconds))
            print(String(format: "one change: sluice %.2f s, kubectl %.2f s (%.1fx)", round.sluiceChange.seconds, round.kubectlChange.seconds,
                         round.kubectlChange.seconds / round.sluiceChange.seconds))
            print("requests the server refused as overloaded (429): \(round.refusedByServer)")
        }
    }

    static func measureRound(
        label: String, maxInFlight: Int, sluice: String, repository: GitRepository, work: TemporaryDirectory, environment: [String: String],
        configMaps: Int, deployments: Int
    ) throws -> Round {
        let slug = "inflight-\(maxInFlight)"
        let cluster = try ServedCluster.start(
            sluice, data: work.appending("cluster-\(slug)").path, extra: ["--max-requests-inflight", String(maxInFlight)], environment: environment,
            log: work.appending("local-cluster-\(slug).log"))
        defer { cluster.stop() }
        let kubeconfig = cluster.kubeconfig
        let kubectl = ["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", work.appending("kube-cache-\(slug)").path]
        for namespace in ["bench-sluice", "bench-kubectl"] {
            let created = try ProcessRunner.run(kubectl[0], Array(kubectl.dropFirst()) + ["create", "namespace", namespace], environment: environment)
            guard created.exitCode == 0 else { throw BenchError("kubectl create namespace: \(created.errorOutput)") }
        }
        print("[\(label)] measuring…")
        let state = work.appending("state-\(slug)").path
        let sync = [sluice, "sync", "--repo", repository.url.path, "--path", "app", "--app", "bench", "--state-dir", state,
                    "--kubeconfig", kubeconfig, "--namespace", "bench-sluice", "--health-timeout", "10m"]
        let first = try measure(sync, environment: environment)
        guard first.exitCode == 0 else { throw BenchError("the first sync failed: \(first.output.suffix(2000))") }

        let directory = repository.url.appendingPathComponent("app").path
        let apply = try measure(kubectl + ["apply", "--server-side", "-R", "-n", "bench-kubectl", "-f", directory], environment: environment)
        guard apply.exitCode == 0 else { throw BenchError("kubectl apply failed: \(apply.output.suffix(2000))") }
        let wait = try measure(
            kubectl + ["wait", "--for=condition=Available", "deployment", "--all", "-n", "bench-kubectl", "--timeout=600s"], environment: environment)
        guard wait.exitCode == 0 else { throw BenchError("kubectl wait failed: \(wait.output.suffix(2000))") }

        try repository.write(configMap(configMaps / 2, value: "v2-\(slug)"), to: String(format: "app/config/cm-%05d.yaml", configMaps / 2))
        _ = try repository.commit("change one ConfigMap (\(slug))")
        let change = try measure(sync, environment: environment)
        guard change.exitCode == 0 else { throw BenchError("the second sync failed: \(change.output.suffix(2000))") }
        let kubectlChange = try measure(kubectl + ["apply", "--server-side", "-R", "-n", "bench-kubectl", "-f", directory], environment: environment)
        guard kubectlChange.exitCode == 0 else { throw BenchError("kubectl apply (change) failed: \(kubectlChange.output.suffix(2000))") }
        cluster.stop()
        let refused = cluster.log().components(separatedBy: "\n").last { $0.contains("refused as overloaded") } ?? "not reported"
        return Round(sluiceFirst: first, sluiceChange: change, kubectlApply: apply, kubectlWait: wait, kubectlChange: kubectlChange, refusedByServer: refused)
    }

    static func configMap(_ index: Int, value: String) -> String {
        """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: config-\(index)
          labels: {app: bench}
        data:
          index: "\(index)"
          value: "\(value)"
          payload: "\(String(repeating: "x", count: 200))"

        """
    }

    static func deployment(_ index: Int) -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: app-\(index)
        spec:
          replicas: 1
          selector:
            matchLabels: {app: app-\(index)}
          template:
            metadata:
              labels: {app: app-\(index)}
            spec:
              containers:
                - name: main
                  image: nginx:1.27
                  ports: [{containerPort: 80}]
                  env: [{name: INDEX, value: "\(index)"}]

        """
    }
}
