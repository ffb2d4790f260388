import Foundation
import Testing
import TestSupport

/// `sluice local-cluster` as a user runs it: a process serving kubectl until SIGTERM.
@Suite struct LocalClusterCommandTests {
    static func start(_ data: URL, log: URL) throws -> BackgroundProcess {
        try BackgroundProcess(
            SluiceCLI.locate().executable.path, ["local-cluster", "--listen", "127.0.0.1:0", "--data", data.path, "--run-pods"], logFile: log)
    }

    static func kubectl(_ kubeconfig: URL, _ arguments: [String], input: String? = nil) async throws -> ProcessResult {
        try await ProcessRunner.runAsync(
            "kubectl", ["--kubeconfig", kubeconfig.path, "--cache-dir", kubeconfig.deletingLastPathComponent().appendingPathComponent("kube-cache").path] + arguments,
            environment: ["KUBECONFIG": ""], input: input.map { Data($0.utf8) },
            timeout: .seconds(60))
    }

    @Test func servesKubectlStopsOnSIGTERMAndKeepsItsStateForTheNextStart() async throws {
        let directory = try TemporaryDirectory(label: "local-cluster-cli")
        let data = directory.appending("data")
        let kubeconfig = data.appendingPathComponent("kubeconfig")
        let first = try Self.start(data, log: directory.appending("first.log"))
        defer { first.stop() }
        try await waitUntil(timeout: .seconds(30), "the cluster announces itself") { first.log().contains("LocalCluster serving on https://127.0.0.1:") }
        #expect(first.log().contains("kubeconfig: \(kubeconfig.path)"))
        #expect(!first.log().contains((try? String(contentsOf: data.appendingPathComponent("token"), encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "no-token"))
        let job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: hello}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: alpine, command: [echo, hello from a pod]}]\n"
        let applied = try await Self.kubectl(kubeconfig, ["apply", "-f", "-"], input: job)
        #expect(applied.exitCode == 0, "\(applied.errorOutput)")
        let waited = try await Self.kubectl(kubeconfig, ["wait", "--for=condition=complete", "job/hello", "--timeout=30s"])
        #expect(waited.exitCode == 0, "\(waited.errorOutput)")
        #expect(try await Self.kubectl(kubeconfig, ["logs", "job/hello"]).output == "hello from a pod\n")

        ProcessRunner.killProcessGroup(first.pid, signal: SIGTERM)
        #expect(first.waitForExit(within: .seconds(20)), "SIGTERM stops the cluster")

        let second = try Self.start(data, log: directory.appending("second.log"))
        defer { second.stop() }
        try await waitUntil(timeout: .seconds(30), "the cluster starts again") { second.log().contains("LocalCluster serving on") }
        let jobs = try await Self.kubectl(kubeconfig, ["get", "jobs", "-o", "name"])
        #expect(jobs.trimmedOutput == "job.batch/hello")
    }

    @Test func aBadListenAddressIsAUsageError() async throws {
        let result = try await CLI.run(["local-cluster", "--listen", "nonsense"])
        #expect(result.exitCode == 2)
        #expect(result.errorOutput.contains("--listen must be host:port"))
    }
}
