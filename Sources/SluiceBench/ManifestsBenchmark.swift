import Foundation
import Manifests
import TestSupport

/// `scripts/bench/manifests`: loads 10,000 manifests (a few MB of YAML in 100 files) with
/// Manifests, in its own process, and, as a peer in the same run, parses the same files with
/// PyYAML's C loader. Prints time, CPU, peak memory and the ratio.
enum ManifestsBenchmark {
    static func run(objects: Int) throws {
        let work = try TemporaryDirectory(label: "bench-manifests")
        defer { work.remove() }
        let directory = try work.makeSubdirectory("app")
        let perFile = 100
        var bytes = 0
        for fileIndex in 0..<max(1, objects / perFile) {
            var text = ""
            for index in 0..<perFile {
                let number = fileIndex * perFile + index
                text += """
                    ---
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata:
                      name: app-\(number)
                      namespace: team-\(number % 10)
                      labels: {app: app-\(number), tier: backend}
                      annotations:
                        argocd.argoproj.io/sync-wave: "\(number % 5)"
                    spec:
                      replicas: 2
                      selector:
                        matchLabels: {app: app-\(number)}
                      template:
                        metadata:
                          labels: {app: app-\(number)}
                        spec:
                          containers:
                          - name: main
                            image: registry.example.com/app:\(number)
                            ports:
                            - containerPort: 8080
                            env:
                            - {name: INDEX, value: "\(number)"}
                            - {name: MODE, value: production}

                    """
            }
            bytes += text.utf8.count
            try Data(text.utf8).write(to: directory.appendingPathComponent(String(format: "part-%03d.yaml", fileIndex)))
        }
        let me = CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0] : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0]
        print(String(format: "Loading %d manifests (%.1f MB of YAML in %d files)\n", objects, Double(bytes) / 1_048_576, objects / perFile))
        let sluice = try measure([me, "op", "load", directory.path])
        guard sluice.exitCode == 0 else { throw BenchError("sluice load failed: \(sluice.output)") }
        let script = """
            import glob, sys, yaml
            count = 0
            for path in sorted(glob.glob(sys.argv[1] + '/*.yaml')):
                with open(path) as handle:
                    count += sum(1 for d in yaml.load_all(handle, Loader=yaml.CSafeLoader) if d)
            print('parsed', count)
            """
        let python = try measure(["python3", "-c", script, directory.path])
        guard python.exitCode == 0 else { throw BenchError("PyYAML failed: \(python.output)") }
        print("loader                                   seconds   CPU s   peak RSS   output")
        for (name, m) in [("sluice Manifests (load + settings + checks)", sluice), ("PyYAML CSafeLoader (parse only)", python)] {
            print(name.padding(toLength: 40, withPad: " ", startingAt: 0) + String(format: "%8.3f  %6.2f  %6.1f MB   ", m.seconds, m.cpuSeconds, Double(m.peakRSSKiB) / 1024) + m.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        print(String(format: "\ntime, sluice / PyYAML: %.2fx; memory, sluice / PyYAML: %.2fx", sluice.seconds / python.seconds, Double(sluice.peakRSSKiB) / Double(max(python.peakRSSKiB, 1))))
    }

    /// The measured side: one full load of a directory.
    static func load(_ path: String) throws {
        let set = try ManifestLoader.load(directory: URL(fileURLWithPath: path), options: LoadOptions())
        print("loaded \(set.manifests.count) manifests")
    }
}
