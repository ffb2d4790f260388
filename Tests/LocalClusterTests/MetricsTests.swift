import Foundation
import Testing
import TestSupport

@testable import LocalCluster

/// `/metrics`: requests counted as a kube-apiserver counts them in `apiserver_request_total`.
@Suite struct MetricsTests {
    /// The count of the `apiserver_request_total` line with exactly these labels (0 when absent).
    static func count(_ metrics: String, _ labels: [String: String]) -> Int {
        let wanted = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
        for line in metrics.split(separator: "\n") where line.hasPrefix("apiserver_request_total{") {
            guard let close = line.firstIndex(of: "}") else { continue }
            let fields = line[line.index(line.startIndex, offsetBy: "apiserver_request_total{".count)..<close].split(separator: ",").map(String.init)
            let named = fields.filter { !$0.hasPrefix("component=") }
            if named == wanted { return Int(line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)) ?? -1 }
        }
        return 0
    }

    @Test("kubectl's requests are counted by verb, dry run, resource and code; a made-up path names no resource")
    func requestsAreCountedLikeTheAPIServer() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let manifest = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: counted, namespace: default}
            data: {k: v}

            """
        try await fixture.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-", input: manifest)
        try await fixture.kubectl("apply", "--server-side", "-f", "-", input: manifest)
        try await fixture.kubectl("get", "configmaps", "-n", "default")
        try await fixture.kubectl("get", "configmap", "counted", "-n", "default")
        let missing = try await fixture.kubectl(["get", "--raw", "/api/v1/made-up-things/x"], check: false)
        #expect(missing.exitCode != 0)

        let metrics = try await fixture.kubectl("get", "--raw", "/metrics").output
        #expect(metrics.contains("# TYPE apiserver_request_total counter"))
        let configMaps = ["group": "", "version": "v1", "resource": "configmaps", "subresource": ""]
        // Both applies create the object (the first only in a dry run): 201, as the API server answers.
        #expect(Self.count(metrics, configMaps.merging(["verb": "APPLY", "dry_run": "All", "code": "201"]) { $1 }) == 1, "\(metrics)")
        #expect(Self.count(metrics, configMaps.merging(["verb": "APPLY", "dry_run": "", "code": "201"]) { $1 }) == 1)
        #expect(Self.count(metrics, configMaps.merging(["verb": "LIST", "dry_run": "", "code": "200"]) { $1 }) >= 1)
        #expect(Self.count(metrics, configMaps.merging(["verb": "GET", "dry_run": "", "code": "200"]) { $1 }) >= 1)
        let unnamed = ["group": "", "version": "", "resource": "", "subresource": "", "dry_run": ""]
        #expect(Self.count(metrics, unnamed.merging(["verb": "GET", "code": "404"]) { $1 }) == 1)
        #expect(!metrics.contains("made-up-things"), "a path that was not found names no resource")
    }
}
