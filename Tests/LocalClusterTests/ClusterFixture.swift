import Foundation
import KubeModel
import TestSupport

@testable import LocalCluster

/// A LocalCluster started for one test on a free loopback port, with kubectl pointed at it.
final class ClusterFixture: Sendable {
    let cluster: LocalCluster
    let directory: TemporaryDirectory

    /// Starts a cluster; `dataDirectory` keeps its state (for restart tests), otherwise a temporary one is used.
    init(runPods: Bool = false, dataDirectory: URL? = nil, port: Int = 0) async throws {
        directory = try TemporaryDirectory(label: "cluster")
        let data = dataDirectory ?? directory.appending("data")
        cluster = try LocalCluster(options: LocalClusterOptions(host: "127.0.0.1", port: port, dataDirectory: data, runPods: runPods))
        try await cluster.start()
    }

    func stop() async {
        await cluster.stop()
    }

    /// Runs the real kubectl against the cluster.
    @discardableResult
    func kubectl(_ arguments: String..., input: String? = nil, check: Bool = true) async throws -> ProcessResult {
        try await kubectl(arguments, input: input, check: check)
    }

    @discardableResult
    func kubectl(_ arguments: [String], input: String? = nil, check: Bool = true, timeout: Duration = .seconds(180)) async throws -> ProcessResult {
        try await ProcessRunner.runAsync(
            // A cache of its own: kubectl keeps discovery and OpenAPI documents per host and port,
            // and another test's cluster may have served this port before.
            "kubectl", ["--kubeconfig", cluster.kubeconfigURL.path, "--cache-dir", directory.appending("kube-cache").path] + arguments,
            environment: ["KUBECONFIG": ""],
            input: input.map { Data($0.utf8) }, timeout: timeout, check: check)
    }

    /// `kubectl get -o json`, parsed.
    func getJSON(_ arguments: String...) async throws -> JSONValue {
        let result = try await kubectl(["get"] + arguments + ["-o", "json"])
        return try JSONValue.parse(Array(result.stdout))
    }

    /// Sends a request straight to the cluster's API handler (no HTTP), for semantics tests.
    func request(_ method: String, _ path: String, query: [String: String] = [:], body: JSONValue? = nil, contentType: String = "application/json") async -> (status: Int, body: JSONValue) {
        let response = await cluster.api.handle(
            APIRequest(method: method, path: path, query: query, contentType: contentType, accept: "application/json", userAgent: "tests/1.0", body: body.map { $0.serializedBytes() } ?? []))
        guard case .bytes(let bytes) = response.body else { return (response.status, .null) }
        return (response.status, (try? JSONValue.parse(bytes)) ?? .string(String(decoding: bytes, as: UTF8.self)))
    }

    /// Waits until `path` reads back an object for which `condition` holds.
    func waitFor(_ path: String, timeout: Duration = .seconds(120), _ description: String, condition: @escaping (JSONValue) -> Bool) async throws -> JSONValue {
        var last = JSONValue.null
        try await waitUntil(timeout: timeout, description + " (last status: \((last["status"] ?? last).serialized().prefix(1500)))") {
            let (status, body) = await request("GET", path)
            last = body
            return status == 200 && condition(body)
        }
        return last
    }
}

extension JSONValue {
    /// True when `status.conditions` has `type` with status `True`.
    func hasCondition(_ type: String, status: String = "True") -> Bool {
        (self[path: ["status", "conditions"]]?.arrayValue ?? []).contains { $0["type"]?.stringValue == type && $0["status"]?.stringValue == status }
    }
}
