import Foundation
import KubeModel
import LocalCluster
import Testing
import TestSupport

@testable import KubeClient

/// KubeClient's operations against LocalCluster over HTTPS.
@Suite struct OperationsTests {
    @Test func createGetApplyPatchListAndDeleteRoundTrip() async throws {
        let fixture = try await ClientFixture()
        defer { Task { await fixture.stop() } }
        let client = fixture.client
        let created = try await client.create(configMap("settings", labels: ["app": "web"]))
        #expect(created.uid?.isEmpty == false)
        #expect(try await client.get(Kinds.configMap, name: "settings")["data"] == ["k": "v"])

        let applied = try await client.apply(configMap("settings", data: ["k": "w", "extra": "1"], labels: ["app": "web"]))
        #expect(applied["data"] == ["k": "w", "extra": "1"])
        let managers = applied[path: ["metadata", "managedFields"]]?.arrayValue?.compactMap { $0["manager"]?.stringValue } ?? []
        #expect(managers.contains("sluice"))

        let patched = try await client.mergePatch(Kinds.configMap, name: "settings", patch: ["data": ["extra": nil]])
        #expect(patched["data"] == ["k": "w"])

        for index in 0..<5 { _ = try await client.create(configMap("page-\(index)", labels: ["set": "pages"])) }
        let pages = try await client.list(Kinds.configMap, namespace: "default", labelSelector: "set=pages", pageSize: 2)
        #expect(pages.items.compactMap(\.name) == ["page-0", "page-1", "page-2", "page-3", "page-4"])
        #expect(pages.items.allSatisfy { $0.kind == "ConfigMap" && $0.apiVersion == "v1" })
        #expect(!pages.resourceVersion.isEmpty)

        await #expect(throws: KubeClientError.self) {
            try await client.delete(Kinds.configMap, name: "settings", uid: "not-its-uid")
        }
        try await client.delete(Kinds.configMap, name: "settings", uid: created.uid)
        do {
            _ = try await client.get(Kinds.configMap, name: "settings")
            Issue.record("the deleted object is still there")
        } catch {
            #expect(error.code == .notFound)
            #expect(error.message.contains("configmaps \"settings\" in namespace \"default\""))
        }
    }

    @Test func serverErrorsBecomeTypedErrorsNamingTheObject() async throws {
        let fixture = try await ClientFixture()
        defer { Task { await fixture.stop() } }
        let client = fixture.client
        _ = try await client.create(configMap("twice"))
        do {
            _ = try await client.create(configMap("twice"))
            Issue.record("a duplicate was created")
        } catch {
            #expect(error.code == .alreadyExists)
            #expect(error.status?.reason == "AlreadyExists")
        }
        do {
            _ = try await client.create(configMap("Not_Valid"))
            Issue.record("an invalid name was accepted")
        } catch {
            #expect(error.code == .invalid)
            #expect(error.status?.details?.causes.first?.field == "metadata.name")
            #expect(error.message.contains("\"Not_Valid\""))
        }
        do {
            _ = try await client.get(GroupVersionKind(group: "example.com", version: "v1", kind: "Nothing"), name: "x")
            Issue.record("an unknown kind was found")
        } catch {
            #expect(error.code == .notServed)
            #expect(error.message == "no matches for kind \"Nothing\" in version \"example.com/v1\"")
        }
    }

    @Test func dryRunsChangeNothing() async throws {
        let fixture = try await ClientFixture()
        defer { Task { await fixture.stop() } }
        let client = fixture.client
        let preview = try await client.apply(configMap("dry"), dryRun: true)
        #expect(preview.name == "dry")
        await #expect(throws: KubeClientError.self) { try await client.get(Kinds.configMap, name: "dry") }
        _ = try await client.create(configMap("real"))
        _ = try await client.apply(configMap("real", data: ["k": "changed"]), dryRun: true)
        try await client.delete(Kinds.configMap, name: "real", dryRun: true)
        #expect(try await client.get(Kinds.configMap, name: "real")[path: ["data", "k"]] == "v")
    }

    @Test func aCustomResourceIsUsableAsSoonAsItsDefinitionIsEstablished() async throws {
        let fixture = try await ClientFixture()
        defer { Task { await fixture.stop() } }
        let client = fixture.client
        // Discovery is cached before the CRD exists; the miss refreshes it.
        await #expect(throws: KubeClientError.self) { try await client.get(Kinds.widget, name: "w") }
        let crd: JSONValue = [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": "widgets.example.com"],
            "spec": [
                "group": "example.com", "scope": "Namespaced", "names": ["kind": "Widget", "plural": "widgets", "singular": "widget"],
                "versions": [["name": "v1", "served": true, "storage": true, "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]]]],
            ],
        ]
        _ = try await client.apply(crd)
        for try await event in client.watch(Kinds.crd, name: "widgets.example.com") {
            let established = (event.object[path: ["status", "conditions"]]?.arrayValue ?? []).contains { $0["type"] == "Established" && $0["status"] == "True" }
            if established { break }
        }
        let widget = try await client.apply(["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w"], "spec": ["size": 2]])
        #expect(widget[path: ["spec", "size"]] == 2)
        #expect(try await client.mapping(for: Kinds.widget).namespaced)
    }

    @Test func theServedAPIVersionsAreReadOnceAndReadAgainWhenThisClientChangesThem() async throws {
        let fixture = try await ClientFixture()
        defer { Task { await fixture.stop() } }
        let client = fixture.client
        let other = ClientFixture.client(for: fixture.cluster)
        func crd(_ kind: String, _ plural: String) -> JSONValue {
            [
                "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": .string("\(plural).example.com")],
                "spec": [
                    "group": "example.com", "scope": "Namespaced", "names": ["kind": .string(kind), "plural": .string(plural)],
                    "versions": [["name": "v1", "served": true, "storage": true, "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]]]],
                ],
            ]
        }
        func served(_ versions: [String]) -> Set<String> { Set(versions.filter { $0.hasPrefix("example.com/") }) }
        let first = try await client.apiVersions()
        #expect(first.kubeVersion.hasPrefix("v1."))
        #expect(first.apiVersions.contains("apps/v1/Deployment"))
        #expect(served(first.apiVersions).isEmpty)

        // Another client adds a kind: this one answers from its reading until it is too old.
        _ = try await other.apply(crd("Widget", "widgets"))
        try await waitUntil { served(try await client.apiVersions(maxAge: .zero).apiVersions).contains("example.com/v1/Widget") }
        _ = try await other.apply(crd("Gadget", "gadgets"))
        try await waitUntil { served(try await other.apiVersions(maxAge: .zero).apiVersions).contains("example.com/v1/Gadget") }
        #expect(!served(try await client.apiVersions().apiVersions).contains("example.com/v1/Gadget"), "answered from the cache")
        #expect(served(try await client.apiVersions(maxAge: .zero).apiVersions).contains("example.com/v1/Gadget"))

        // This client writes a definition: its next answer is read afresh.
        _ = try await client.apply(crd("Gizmo", "gizmos"))
        try await waitUntil { served(try await other.apiVersions(maxAge: .zero).apiVersions).contains("example.com/v1/Gizmo") }
        #expect(served(try await client.apiVersions().apiVersions).contains("example.com/v1/Gizmo"))
    }

    /// Polls `condition` until it holds, for at most 30 seconds.
    func waitUntil(_ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw KubeClientError(.timeout, "the condition did not hold within 30 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func aWatchDeliversChangesInOrder() async throws {
        let fixture = try await ClientFixture()
        defer { Task { await fixture.stop() } }
        let client = fixture.client
        let start = try await client.list(Kinds.configMap, namespace: "default")
        let events = client.watch(Kinds.configMap, namespace: "default", resourceVersion: start.resourceVersion)
        _ = try await client.create(configMap("w"))
        _ = try await client.mergePatch(Kinds.configMap, name: "w", patch: ["data": ["k": "2"]])
        try await client.delete(Kinds.configMap, name: "w")
        var seen: [String] = []
        for try await event in events {
            seen.append("\(event.type) \(event.object.name ?? "")")
            if seen.count == 3 { break }
        }
        #expect(seen == ["ADDED w", "MODIFIED w", "DELETED w"])
    }

    @Test func aWatchSurvivesTheServerRestarting() async throws {
        let directory = try TemporaryDirectory(label: "restart")
        let first = try await ClientFixture(directory: directory)
        let port = first.cluster.port
        let client = first.client
        _ = try await client.create(configMap("before"))
        let start = try await client.list(Kinds.configMap, namespace: "default")
        let events = client.watch(Kinds.configMap, namespace: "default", resourceVersion: start.resourceVersion)
        let collector = Task {
            var names: Set<String> = []
            for try await event in events where event.type == "ADDED" {
                names.insert(event.object.name ?? "")
                if names.isSuperset(of: ["during", "after"]) { break }
            }
            return names
        }
        _ = try await client.create(configMap("during"))
        await first.stop()
        // The port is free again, but an outgoing connection of another test may hold it as its local
        // (ephemeral) port for a moment: retry the bind until it succeeds, with a deadline.
        var restarted: ClientFixture?
        let deadline = ContinuousClock.now + .seconds(30)
        while restarted == nil {
            do {
                restarted = try await ClientFixture(port: port, directory: directory)
            } catch where ContinuousClock.now < deadline && "\(error)".contains("Address already in use") {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let second = try #require(restarted)
        defer { Task { await second.stop() } }
        // The same client, whose watch reconnects to the restarted server and resumes.
        _ = try await client.create(configMap("after"))
        // Nothing is lost: what happened before the restart and after it both arrive.
        let names = try await collector.value
        #expect(names.isSuperset(of: ["during", "after"]))
    }

    @Test func podLogsAreRead() async throws {
        let fixture = try await ClientFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        let client = fixture.client
        let pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "talker"],
            "spec": ["restartPolicy": "Never", "containers": [["name": "main", "image": "alpine", "command": ["sh", "-c", "echo one; echo two"]]]],
        ]
        _ = try await client.create(pod)
        for try await event in client.watch(Kinds.pod, namespace: "default", name: "talker") where event.object[path: ["status", "phase"]] == "Succeeded" {
            break
        }
        #expect(try await client.logs(pod: "talker") == "one\ntwo\n")
        #expect(try await client.logs(pod: "talker", tailLines: 1) == "two\n")
    }
}
