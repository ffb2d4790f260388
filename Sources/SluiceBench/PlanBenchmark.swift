import Foundation
import TestSupport

/// `scripts/bench/plan`: a repository of 10,000 manifests (one ConfigMap per file) plus a PreSync
/// hook, synced once with `sluice sync` into a `sluice local-cluster`; then one file changes, and
/// `sluice plan` of that commit is timed against a full re-load of all the manifests in the same run
/// (both as their own processes). Prints both, the ratio, and the plan's peak memory.
enum PlanBenchmark {
    static func run(objects: Int, sluice: String) throws {
        let work = try TemporaryDirectory(label: "bench-plan")
        defer { work.remove() }
        let home = try work.makeSubdirectory("home")
        let state = work.appending("state").path
        let repository = try GitRepository(at: work.appending("repo"))
        let perDirectory = 100
        for index in 0..<objects {
            try repository.write(configMap(index, value: "v1"), to: path(index, perDirectory: perDirectory))
        }
        try repository.write(
            """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: migrate
              annotations:
                argocd.argoproj.io/hook: PreSync
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers:
                    - name: migrate
                      image: alpine
                      command: ["true"]

            """, to: "app/hooks/migrate.yaml")
        let base = try repository.commit("10,000 manifests")
        let bytes = configMap(0, value: "v1").utf8.count * objects
        print(String(format: "Repository: %d ConfigMaps in %d files (%.1f MB of YAML), one PreSync hook; base %@", objects, objects,
                     Double(bytes) / 1_048_576, String(base.prefix(12))))

        let environment = ["HOME": home.path, "KUBECONFIG": ""]
        let cluster = try ServedCluster.start(
            sluice, data: state + "/local-cluster", environment: environment, log: work.appending("local-cluster.log"))
        defer { cluster.stop() }
        let source = ["--repo", repository.path, "--path", "app", "--app", "bench", "--state-dir", state, "--kube-qps", "0"]
        let first = try measure([sluice, "sync"] + source + ["--output", "json"], environment: environment)
        guard first.exitCode == 0 else { throw BenchError("the first sync failed: \(first.output.suffix(2000))") }
        print(String(format: "First sync (applies all %d objects): %.2f s, peak RSS %.1f MB", objects, first.seconds, Double(first.peakRSSKiB) / 1024))

        try repository.write(configMap(objects / 2, value: "v2"), to: path(objects / 2, perDirectory: perDirectory))
        let head = try repository.commit("change one ConfigMap")
        print("Change: one file, head \(head.prefix(12))\n")

        let settled = cluster.waitUntilIdle()
        print(String(format: "The served cluster %@ after %.1f s (it persists the first sync's objects)\n",
                     settled.idle ? "was idle" : "was still busy", settled.seconds))

        let plan = try measureMedian([sluice, "plan"] + source + ["--output", "json"], runs: 15, environment: environment)
        let configured = plan.output.components(separatedBy: "\"configured\"").count - 1
        let reload = try measureMedian([CommandLine.arguments[0], "op", "load", repository.url.appendingPathComponent("app").path], runs: 5)
        let fullPlan = try measure([sluice, "plan"] + source + ["--full", "--output", "json"], environment: environment)
        guard fullPlan.exitCode == 0 else { throw BenchError("sluice plan --full failed: \(fullPlan.output.suffix(2000))") }

        print("measure                                              seconds   CPU s   peak RSS")
        for (name, m) in [
            ("sluice plan, one file changed (median of 15)", plan),
            ("full re-load of all manifests (median of 5)", reload),
            ("sluice plan --full (re-reads everything)", fullPlan),
        ] {
            print(name.padding(toLength: 52, withPad: " ", startingAt: 0) + String(format: "%7.3f  %6.2f  %6.1f MB", m.seconds, m.cpuSeconds, Double(m.peakRSSKiB) / 1024))
        }
        print("\nplan found \(configured) configured object(s) (expected 1)")
        print(String(format: "full re-load / plan: %.1fx faster (aim: at least 20x); plan peak RSS %.1f MB (aim: under 100 MB)",
                     reload.seconds / plan.seconds, Double(plan.peakRSSKiB) / 1024))
    }

    static func path(_ index: Int, perDirectory: Int) -> String {
        String(format: "app/d%03d/config-%05d.yaml", index / perDirectory, index)
    }

    static func configMap(_ index: Int, value: String) -> String {
        """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: config-\(index)
          namespace: default
          labels:
            team: team-\(index % 10)
          annotations:
            argocd.argoproj.io/sync-wave: "\(index % 3)"
        data:
          index: "\(index)"
          value: \(value)
          application.yaml: |
            server:
              port: 8080
              shutdown: graceful
              compression: {enabled: true, min-response-size: 2048}
            service:
              name: service-\(index)
              team: team-\(index % 10)
              upstreams:
                - {name: orders, url: "http://orders.team-\(index % 10).svc:8080", timeout: 2s}
                - {name: billing, url: "http://billing.team-\(index % 10).svc:8080", timeout: 5s}
            logging:
              level: {root: info, "com.example": debug}
            features: [search, recommendations, checkout-v2]

        """
    }
}
