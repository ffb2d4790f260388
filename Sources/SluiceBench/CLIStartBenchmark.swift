import Foundation
import TestSupport

/// `scripts/bench/cli-start`: how long a `sluice plan` of a one-object application takes in
/// embedded mode (the command starts and stops LocalCluster itself) and against a served
/// `sluice local-cluster`, with `kubectl get configmaps` against the same served cluster as the
/// peer; the median of several runs each.
enum CLIStartBenchmark {
    static func run(sluice: String, runs: Int) throws {
        let work = try TemporaryDirectory(label: "bench-cli-start")
        defer { work.remove() }
        let home = try work.makeSubdirectory("home")
        let environment = ["HOME": home.path, "KUBECONFIG": ""]
        let repository = try GitRepository(at: work.appending("repo"))
        try repository.write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {key: value}\n", to: "app/settings.yaml")
        _ = try repository.commit("one ConfigMap")
        let embeddedState = work.appending("embedded").path
        let source = ["--repo", repository.url.path, "--path", "app", "--app", "bench"]
        let first = try measure([sluice, "sync"] + source + ["--state-dir", embeddedState], environment: environment)
        guard first.exitCode == 0 else { throw BenchError("the embedded sync failed: \(first.output.suffix(2000))") }
        let embedded = try (0..<runs).map { _ in
            let run = try measure([sluice, "plan"] + source + ["--state-dir", embeddedState], environment: environment)
            guard run.exitCode == 0 else { throw BenchError("sluice plan (embedded) failed: \(run.output.suffix(2000))") }
            return run
        }

        let servedState = work.appending("served").path
        let cluster = try ServedCluster.start(
            sluice, data: servedState + "/local-cluster", environment: environment, log: work.appending("local-cluster.log"))
        defer { cluster.stop() }
        let kubeconfig = cluster.kubeconfig
        let synced = try measure([sluice, "sync"] + source + ["--state-dir", servedState], environment: environment)
        guard synced.exitCode == 0 else { throw BenchError("the sync against the served cluster failed: \(synced.output.suffix(2000))") }
        let served = try (0..<runs).map { _ in
            let run = try measure([sluice, "plan"] + source + ["--state-dir", servedState], environment: environment)
            guard run.exitCode == 0 else { throw BenchError("sluice plan (served) failed: \(run.output.suffix(2000))") }
            return run
        }
        let kubectl = try (0..<runs).map { _ in
            try measure(["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", work.appending("kube-cache").path, "get", "configmaps"], environment: environment)
        }

        func median(_ values: [Measurement]) -> Measurement { values.sorted { $0.seconds < $1.seconds }[values.count / 2] }
        print("cli-start: sluice plan of a one-object application, median of \(runs) runs, \(ProcessInfo.processInfo.activeProcessorCount) cores, sluice \(sluice)\n")
        print("measure                                                     seconds   CPU s   peak RSS")
        for (name, m) in [
            ("sluice plan, embedded (starts and stops LocalCluster)", median(embedded)),
            ("sluice plan, against a served local-cluster", median(served)),
            ("kubectl get configmaps, same served cluster (peer)", median(kubectl)),
        ] {
            print(name.padding(toLength: 58, withPad: " ", startingAt: 0) + String(format: "%8.3f  %6.2f  %6.1f MB", m.seconds, m.cpuSeconds, Double(m.peakRSSKiB) / 1024))
        }
        print(String(format: "\nembedded start: %.3f s (aim: well under 1 s); served plan: %.3f s (aim: under 0.1 s), %.1fx kubectl get",
                     median(embedded).seconds, median(served).seconds, median(served).seconds / median(kubectl).seconds))
    }
}
