import Foundation
import KubeModel
import Testing
import TestSupport

@testable import LocalCluster

/// State across restarts, watches that resume, and writers racing on one object.
@Suite struct PersistenceAndWatchTests {
    static let configMaps = "/api/v1/namespaces/default/configmaps"

    @Test func stateAndCredentialsSurviveARestart() async throws {
        let data = try TemporaryDirectory(label: "restart")
        let first = try await ClusterFixture(dataDirectory: data.url)
        _ = await first.request("POST", "/api/v1/namespaces", body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "kept"]])
        let (_, created) = await first.request("POST", "/api/v1/namespaces/kept/configmaps", body: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a"], "data": ["k": "v"]])
        _ = await first.request("POST", "/api/v1/namespaces/kept/configmaps", body: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "b"]])
        let service: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "one"], "spec": ["ports": [["port": 80]]]]
        let (_, firstService) = await first.request("POST", "/api/v1/namespaces/kept/services", body: service)
        _ = await first.request("DELETE", "/api/v1/namespaces/kept/configmaps/b")
        let revision = first.cluster.store.revision
        let ca = first.cluster.caCertificatePEM
        let token = first.cluster.token
        await first.stop()

        let second = try await ClusterFixture(dataDirectory: data.url)
        defer { Task { await second.stop() } }
        #expect(second.cluster.caCertificatePEM == ca)
        #expect(second.cluster.token == token)
        #expect(second.cluster.store.revision >= revision)
        let (status, restored) = await second.request("GET", "/api/v1/namespaces/kept/configmaps/a")
        #expect(status == 200)
        #expect(restored == created)
        #expect(await second.request("GET", "/api/v1/namespaces/kept/configmaps/b").status == 404)
        // kubectl still trusts it with the kubeconfig written the first time.
        let listed = try await second.kubectl("get", "configmaps", "-n", "kept", "-o", "name")
        #expect(listed.trimmedOutput == "configmap/a")
        // Cluster IPs are not handed out twice.
        var secondService = service
        secondService[path: ["metadata", "name"]] = "two"
        let (_, another) = await second.request("POST", "/api/v1/namespaces/kept/services", body: secondService)
        #expect(another[path: ["spec", "clusterIP"]] != nil)
        #expect(another[path: ["spec", "clusterIP"]] != firstService[path: ["spec", "clusterIP"]])
        // New writes continue the revision sequence.
        let (_, later) = await second.request("POST", "/api/v1/namespaces/kept/configmaps", body: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c"]])
        #expect(Int64(later.resourceVersion ?? "") ?? 0 > revision)
    }

    @Test func aWatchResumesFromAResourceVersion() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let (_, first) = await fixture.request("POST", Self.configMaps, body: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "one"]])
        _ = await fixture.request("POST", Self.configMaps, body: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "two"]])
        _ = await fixture.request("PATCH", Self.configMaps + "/one", body: ["data": ["a": "b"]], contentType: "application/merge-patch+json")
        _ = await fixture.request("DELETE", Self.configMaps + "/two")
        let response = await fixture.cluster.api.handle(
            APIRequest(
                method: "GET", path: Self.configMaps, query: ["watch": "true", "resourceVersion": first.resourceVersion ?? ""], contentType: "",
                accept: "application/json", userAgent: "tests", body: []))
        guard case .stream(let stream) = response.body else {
            Issue.record("a watch answers with a stream")
            return
        }
        var events: [String] = []
        for await chunk in stream {
            for line in String(decoding: chunk, as: UTF8.self).split(separator: "\n") {
                let event = try JSONValue.parse(String(line))
                events.append("\(event["type"]?.stringValue ?? "") \(event["object"]?.name ?? "")")
            }
            if events.count >= 3 { break }
        }
        #expect(events == ["ADDED two", "MODIFIED one", "DELETED two"])
    }

    @Test func kubectlWaitFollowsAWatchUntilTheObjectIsDeleted() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        _ = await fixture.request("POST", Self.configMaps, body: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "watched"]])
        let watchersBefore = fixture.cluster.store.watcherCount
        // -v=6 logs each request with its status and latency, so a failure shows where it stalled.
        // The whole suite runs at once on two cores: kubectl's discovery alone has taken 12 s, so
        // its deadline is generous (a deadline, not a wait: it ends as soon as the watch sees the delete).
        async let waiter = fixture.kubectl(
            ["wait", "--for=delete", "configmap/watched", "--timeout=150s", "-v=6"], check: false, timeout: .seconds(180))
        try await waitUntil(timeout: .seconds(150), "kubectl's watch is registered") {
            fixture.cluster.store.watcherCount > watchersBefore
        }
        _ = await fixture.request("DELETE", Self.configMaps + "/watched")
        let result = try await waiter
        #expect(result.exitCode == 0, "\(result.errorOutput)")
        #expect(result.output.contains("configmap/watched condition met"))
        #expect(result.errorOutput.contains("sendInitialEvents=true"), "kubectl lists through a watch (WatchListClient)")
    }

    @Test func aWatchResumesAcrossARestartFromTheWritesSinceTheLastStart() async throws {
        let data = try TemporaryDirectory(label: "history")
        let first = try await ClusterFixture(dataDirectory: data.url)
        let (_, created) = await first.request("POST", Self.configMaps, body: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a"]])
        _ = await first.request("DELETE", Self.configMaps + "/a")
        await first.stop()
        let second = try await ClusterFixture(dataDirectory: data.url)
        defer { Task { await second.stop() } }
        let (events, cancel, _, _) = try second.cluster.store.watch(
            GroupResource(group: "", resource: "configmaps"), namespace: "default", start: .after(Int64(created.resourceVersion ?? "") ?? 0))
        defer { cancel() }
        var iterator = events.makeAsyncIterator()
        let deleted = await iterator.next()
        #expect(deleted?.kind == .deleted)
        #expect(deleted?.object.name == "a")
    }

    @Test func anExpiredResourceVersionIsGone() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let store = fixture.cluster.store
        #expect(throws: APIStatus.self) {
            _ = try store.watch(GroupResource(group: "", resource: "configmaps"), namespace: nil, start: .after(-5))
        }
    }

    @Test func concurrentWritersGetConflictsNotLostUpdates() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        _ = await fixture.request("POST", Self.configMaps, body: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "counter"], "data": ["n": "0"]])
        let writers = 8
        let attempts = 25
        let results = await withTaskGroup(of: (succeeded: Int, conflicts: Int).self) { group in
            for _ in 0..<writers {
                group.addTask {
                    var succeeded = 0
                    var conflicts = 0
                    for _ in 0..<attempts {
                        var (_, current) = await fixture.request("GET", Self.configMaps + "/counter")
                        let value = Int(current[path: ["data", "n"]]?.stringValue ?? "") ?? -1
                        current[path: ["data", "n"]] = .string(String(value + 1))
                        let (status, _) = await fixture.request("PUT", Self.configMaps + "/counter", body: current)
                        if status == 200 { succeeded += 1 } else if status == 409 { conflicts += 1 }
                    }
                    return (succeeded, conflicts)
                }
            }
            var total = (succeeded: 0, conflicts: 0)
            for await result in group {
                total.succeeded += result.succeeded
                total.conflicts += result.conflicts
            }
            return total
        }
        #expect(results.succeeded + results.conflicts == writers * attempts)
        let (_, final) = await fixture.request("GET", Self.configMaps + "/counter")
        #expect(final[path: ["data", "n"]]?.stringValue == String(results.succeeded), "every accepted update counted once")
    }
}
