import Foundation
import KubeModel
import Testing
import TestSupport

@testable import LocalCluster

/// Kubernetes API semantics, exercised on the cluster's request handler.
@Suite struct APISemanticsTests {
    static let configMaps = "/api/v1/namespaces/default/configmaps"

    static func configMap(_ name: String, data: [String: JSONValue] = ["k": "v"]) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)], "data": .object(data)]
    }

    @Test func staleUpdatesGetConflictsAndFreshOnesBumpTheResourceVersion() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let (created, first) = await fixture.request("POST", Self.configMaps, body: Self.configMap("a"))
        #expect(created == 201)
        var update = first
        update[path: ["data", "k"]] = "w"
        let (updated, second) = await fixture.request("PUT", Self.configMaps + "/a", body: update)
        #expect(updated == 200)
        #expect(Int(second.resourceVersion ?? "") ?? 0 > Int(first.resourceVersion ?? "") ?? 0)
        let (stale, status) = await fixture.request("PUT", Self.configMaps + "/a", body: update)
        #expect(stale == 409)
        #expect(status["kind"] == "Status")
        #expect(status["reason"] == "Conflict")
        #expect(status["message"]?.stringValue?.contains("the object has been modified") == true)
        #expect(status[path: ["details", "name"]] == "a")
    }

    @Test func generationCountsSpecChangesOnly() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let path = "/apis/batch/v1/namespaces/default/cronjobs"
        let cronJob: JSONValue = [
            "apiVersion": "batch/v1", "kind": "CronJob", "metadata": ["name": "nightly"],
            "spec": ["schedule": "0 1 * * *", "jobTemplate": ["spec": ["template": ["spec": ["restartPolicy": "Never", "containers": [["name": "c", "image": "busybox"]]]]]]],
        ]
        let (_, created) = await fixture.request("POST", path, body: cronJob)
        #expect(created.generation == 1)
        let (_, labelled) = await fixture.request("PATCH", path + "/nightly", body: ["metadata": ["labels": ["a": "b"]]], contentType: "application/merge-patch+json")
        #expect(labelled.generation == 1)
        let (_, respec) = await fixture.request("PATCH", path + "/nightly", body: ["spec": ["schedule": "0 2 * * *"]], contentType: "application/merge-patch+json")
        #expect(respec.generation == 2)
        let (_, same) = await fixture.request("PATCH", path + "/nightly", body: ["spec": ["schedule": "0 2 * * *"]], contentType: "application/merge-patch+json")
        #expect(same.resourceVersion == respec.resourceVersion, "a no-op write keeps the resourceVersion")
    }

    @Test func generateNameMakesUniqueNames() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        var body = Self.configMap("")
        body[path: ["metadata", "name"]] = nil
        body[path: ["metadata", "generateName"]] = "hook-"
        let (firstStatus, first) = await fixture.request("POST", Self.configMaps, body: body)
        let (_, second) = await fixture.request("POST", Self.configMaps, body: body)
        #expect(firstStatus == 201)
        #expect(first.name?.hasPrefix("hook-") == true)
        #expect(first.name?.count == 10)
        #expect(first.name != second.name)
    }

    @Test(arguments: ["Upper", "under_score", "-dash", String(repeating: "a", count: 254)])
    func invalidNamesAreRefusedWith422(_ name: String) async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let (status, body) = await fixture.request("POST", Self.configMaps, body: Self.configMap(name))
        #expect(status == 422)
        #expect(body["reason"] == "Invalid")
        #expect(body[path: ["details", "causes"]]?.arrayValue?.first?["field"] == "metadata.name")
    }

    @Test func namespacedObjectsNeedTheirNamespaceAndNamesAreUnique() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let (missing, body) = await fixture.request("POST", "/api/v1/namespaces/nowhere/configmaps", body: Self.configMap("a"))
        #expect(missing == 404)
        #expect(body["message"] == "namespaces \"nowhere\" not found")
        _ = await fixture.request("POST", Self.configMaps, body: Self.configMap("a"))
        let (duplicate, exists) = await fixture.request("POST", Self.configMaps, body: Self.configMap("a"))
        #expect(duplicate == 409)
        #expect(exists["reason"] == "AlreadyExists")
        let (notFound, gone) = await fixture.request("GET", Self.configMaps + "/zzz")
        #expect(notFound == 404)
        #expect(gone["reason"] == "NotFound")
        #expect(gone[path: ["details", "kind"]] == "configmaps")
    }

    static let deployment: JSONValue = [
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
        "spec": [
            "selector": ["matchLabels": ["app": "web"]],
            "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "web", "image": "nginx"]]]],
        ],
    ]

    @Test func immutableFieldsAreRefused() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let deployments = "/apis/apps/v1/namespaces/default/deployments"
        _ = await fixture.request("POST", deployments, body: Self.deployment)
        let (selector, selectorBody) = await fixture.request(
            "PATCH", deployments + "/web",
            body: ["spec": ["selector": ["matchLabels": ["app": "other"]], "template": ["metadata": ["labels": ["app": "other"]]]]],
            contentType: "application/merge-patch+json")
        #expect(selector == 422)
        #expect(selectorBody["message"]?.stringValue?.contains("field is immutable") == true)

        let services = "/api/v1/namespaces/default/services"
        let (_, service) = await fixture.request(
            "POST", services, body: ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "db"], "spec": ["ports": [["port": 5432]]]])
        #expect(service[path: ["spec", "clusterIP"]]?.stringValue?.isEmpty == false)
        let (clusterIP, _) = await fixture.request("PATCH", services + "/db", body: ["spec": ["clusterIP": "10.96.99.99"]], contentType: "application/merge-patch+json")
        #expect(clusterIP == 422)

        let jobs = "/apis/batch/v1/namespaces/default/jobs"
        let job: JSONValue = [
            "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "once"],
            "spec": ["template": ["spec": ["restartPolicy": "Never", "containers": [["name": "c", "image": "busybox"]]]]],
        ]
        _ = await fixture.request("POST", jobs, body: job)
        let (template, templateBody) = await fixture.request(
            "PATCH", jobs + "/once", body: ["spec": ["template": ["spec": ["containers": [["name": "c", "image": "alpine"]]]]]],
            contentType: "application/strategic-merge-patch+json")
        #expect(template == 422)
        #expect(templateBody[path: ["details", "causes"]]?.arrayValue?.contains { $0["field"] == "spec.template" } == true)
    }

    @Test func invalidObjectsNameTheirFields() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        var deployment = Self.deployment
        deployment[path: ["spec", "template", "metadata", "labels"]] = ["app": "other"]
        deployment[path: ["spec", "template", "spec", "containers"]] = [["name": "web"]]
        let (status, body) = await fixture.request("POST", "/apis/apps/v1/namespaces/default/deployments", body: deployment)
        #expect(status == 422)
        let fields = body[path: ["details", "causes"]]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []
        #expect(fields.contains("spec.template.metadata.labels"))
        #expect(fields.contains("spec.template.spec.containers[0].image"))
    }

    @Test func finalizersHoldADeletedObjectUntilRemoved() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        var body = Self.configMap("held")
        body[path: ["metadata", "finalizers"]] = ["example.com/hold"]
        _ = await fixture.request("POST", Self.configMaps, body: body)
        let (accepted, marked) = await fixture.request("DELETE", Self.configMaps + "/held")
        #expect(accepted == 202)
        #expect(marked.deletionTimestamp != nil)
        let (still, _) = await fixture.request("GET", Self.configMaps + "/held")
        #expect(still == 200)
        let (_, _) = await fixture.request("PATCH", Self.configMaps + "/held", body: ["metadata": ["finalizers": nil]], contentType: "application/merge-patch+json")
        let (gone, _) = await fixture.request("GET", Self.configMaps + "/held")
        #expect(gone == 404)
    }

    @Test(arguments: ["Background", "Foreground"])
    func deletingAnOwnerCascadesToItsDependents(_ policy: String) async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let (_, owner) = await fixture.request("POST", Self.configMaps, body: Self.configMap("owner"))
        var dependent = Self.configMap("dependent")
        dependent[path: ["metadata", "ownerReferences"]] = [["apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]?["uid"] ?? ""]]
        _ = await fixture.request("POST", Self.configMaps, body: dependent)
        let options: JSONValue = ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": .string(policy)]
        _ = await fixture.request("DELETE", Self.configMaps + "/owner", body: options)
        try await waitUntil(timeout: .seconds(30), "owner and dependent deleted with \(policy)") {
            let owner = await fixture.request("GET", Self.configMaps + "/owner").status
            let dependent = await fixture.request("GET", Self.configMaps + "/dependent").status
            return owner == 404 && dependent == 404
        }
    }

    @Test func orphanDeletionKeepsDependentsWithoutTheOwnerReference() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let (_, owner) = await fixture.request("POST", Self.configMaps, body: Self.configMap("owner"))
        var dependent = Self.configMap("dependent")
        dependent[path: ["metadata", "ownerReferences"]] = [["apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]?["uid"] ?? ""]]
        _ = await fixture.request("POST", Self.configMaps, body: dependent)
        _ = await fixture.request("DELETE", Self.configMaps + "/owner", body: ["propagationPolicy": "Orphan"])
        let kept = try await fixture.waitFor(Self.configMaps + "/dependent", "owner reference removed") { $0.ownerReferences.isEmpty }
        #expect(kept.name == "dependent")
        #expect(await fixture.request("GET", Self.configMaps + "/owner").status == 404)
    }

    @Test func deletingANamespaceRemovesItsContents() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        _ = await fixture.request("POST", "/api/v1/namespaces", body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "doomed"]])
        _ = await fixture.request("POST", "/api/v1/namespaces/doomed/configmaps", body: Self.configMap("a"))
        _ = await fixture.request("POST", "/apis/apps/v1/namespaces/doomed/deployments", body: Self.deployment)
        let (_, terminating) = await fixture.request("DELETE", "/api/v1/namespaces/doomed")
        #expect(terminating[path: ["status", "phase"]] == "Terminating")
        let (refused, _) = await fixture.request("POST", "/api/v1/namespaces/doomed/configmaps", body: Self.configMap("late"))
        #expect(refused == 403 || refused == 404)
        try await waitUntil(timeout: .seconds(30), "namespace and contents gone") {
            await fixture.request("GET", "/api/v1/namespaces/doomed").status == 404
        }
        #expect(await fixture.request("GET", "/api/v1/namespaces/doomed/configmaps/a").status == 404)
        #expect(fixture.cluster.store.list(GroupResource(group: "", resource: "pods"), namespace: "doomed").items.isEmpty)
    }

    @Test(arguments: [
        ("tier=front", ["a"]), ("tier!=front", ["b", "c"]), ("tier in (front,back)", ["a", "b"]), ("tier notin (front)", ["b", "c"]),
        ("tier", ["a", "b"]), ("!tier", ["c"]), ("tier=back,env=prod", ["b"]),
    ])
    func labelSelectorsFilterLists(_ selector: String, _ expected: [String]) async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        for (name, labels) in [("a", ["tier": "front"]), ("b", ["tier": "back", "env": "prod"]), ("c", [:])] as [(String, [String: String])] {
            var body = Self.configMap(name)
            body.labels = labels
            _ = await fixture.request("POST", Self.configMaps, body: body)
        }
        let (_, list) = await fixture.request("GET", Self.configMaps, query: ["labelSelector": selector])
        #expect(list["items"]?.arrayValue?.compactMap(\.name) == expected)
    }

    @Test func fieldSelectorsAndPaginationWork() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        for name in ["a", "b", "c", "d", "e"] { _ = await fixture.request("POST", Self.configMaps, body: Self.configMap(name)) }
        let (_, one) = await fixture.request("GET", Self.configMaps, query: ["fieldSelector": "metadata.name=c"])
        #expect(one["items"]?.arrayValue?.compactMap(\.name) == ["c"])
        let (_, all) = await fixture.request("GET", "/api/v1/configmaps", query: ["fieldSelector": "metadata.namespace=default,metadata.name!=a"])
        #expect(all["items"]?.arrayValue?.compactMap(\.name) == ["b", "c", "d", "e"])
        var names: [String] = []
        var token: String?
        repeat {
            var query = ["limit": "2"]
            if let token { query["continue"] = token }
            let (_, page) = await fixture.request("GET", Self.configMaps, query: query)
            names += page["items"]?.arrayValue?.compactMap(\.name) ?? []
            token = page[path: ["metadata", "continue"]]?.stringValue
        } while token != nil
        #expect(names == ["a", "b", "c", "d", "e"])
        let (bad, _) = await fixture.request("GET", Self.configMaps, query: ["fieldSelector": "spec.unknown=1"])
        #expect(bad == 400)
    }

    @Test func dryRunChangesNothing() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let (created, preview) = await fixture.request("POST", Self.configMaps, query: ["dryRun": "All"], body: Self.configMap("dry"))
        #expect(created == 201)
        #expect(preview.uid != nil)
        #expect(await fixture.request("GET", Self.configMaps + "/dry").status == 404)
        _ = await fixture.request("POST", Self.configMaps, body: Self.configMap("real"))
        let before = fixture.cluster.store.revision
        _ = await fixture.request("PATCH", Self.configMaps + "/real", query: ["dryRun": "All"], body: ["data": ["k": "changed"]], contentType: "application/merge-patch+json")
        _ = await fixture.request("DELETE", Self.configMaps + "/real", query: ["dryRun": "All"])
        #expect(fixture.cluster.store.revision == before)
        #expect(await fixture.request("GET", Self.configMaps + "/real").body[path: ["data", "k"]] == "v")
    }

    static let widgetCRD: JSONValue = [
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": "widgets.example.com"],
        "spec": [
            "group": "example.com", "scope": "Namespaced", "names": ["kind": "Widget", "plural": "widgets", "singular": "widget"],
            "versions": [["name": "v1", "served": true, "storage": true, "subresources": ["status": [:]],
                "schema": [
                    "openAPIV3Schema": [
                        "type": "object",
                        "properties": [
                            "spec": ["type": "object", "properties": ["size": ["type": "integer"]]],
                            "status": ["type": "object", "properties": ["ready": ["type": "boolean"]]],
                        ],
                    ]
                ],
            ]],
        ],
    ]

    @Test func theStatusSubresourceKeepsSpecAndStatusApart() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        _ = await fixture.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", body: Self.widgetCRD)
        _ = try await fixture.waitFor("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com", "established") { $0.hasCondition("Established") }
        let path = "/apis/example.com/v1/namespaces/default/widgets"
        let (created, widget) = await fixture.request(
            "POST", path, body: ["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w"], "spec": ["size": 1], "status": ["ready": true]])
        #expect(created == 201)
        #expect(widget["status"] == nil, "status is not set on create when there is a status subresource")
        let (_, statusWrite) = await fixture.request(
            "PATCH", path + "/w/status", body: ["status": ["ready": true], "spec": ["size": 7]], contentType: "application/merge-patch+json")
        #expect(statusWrite[path: ["status", "ready"]] == true)
        #expect(statusWrite[path: ["spec", "size"]] == 1)
        #expect(statusWrite.generation == 1)
        let (_, mainWrite) = await fixture.request(
            "PATCH", path + "/w", body: ["status": ["ready": false], "spec": ["size": 3]], contentType: "application/merge-patch+json")
        #expect(mainWrite[path: ["spec", "size"]] == 3)
        #expect(mainWrite[path: ["status", "ready"]] == true)
        #expect(mainWrite.generation == 2)
    }

    @Test func jsonPatchAndStrategicMergePatchApply() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        _ = await fixture.request("POST", Self.configMaps, body: Self.configMap("p", data: ["a": "1", "b": "2"]))
        let (status, patched) = await fixture.request(
            "PATCH", Self.configMaps + "/p", body: [["op": "remove", "path": "/data/a"], ["op": "add", "path": "/data/c", "value": "3"]],
            contentType: "application/json-patch+json")
        #expect(status == 200)
        #expect(patched["data"] == ["b": "2", "c": "3"])
        let (failed, failure) = await fixture.request(
            "PATCH", Self.configMaps + "/p", body: [["op": "test", "path": "/data/b", "value": "9"]], contentType: "application/json-patch+json")
        #expect(failed == 422)
        #expect(failure["kind"] == "Status")
        let (unsupported, _) = await fixture.request("PATCH", Self.configMaps + "/p", body: ["data": [:]], contentType: "text/plain")
        #expect(unsupported == 415)
    }

    @Test func requestsWithoutTheTokenAreUnauthorized() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let caFile = fixture.directory.appending("ca.pem")
        try Data(fixture.cluster.caCertificatePEM.utf8).write(to: caFile)
        let url = fixture.cluster.url + "/api/v1/namespaces"
        let anonymous = try await ProcessRunner.runAsync("curl", ["-sS", "--cacert", caFile.path, "-o", "/dev/null", "-w", "%{http_code}", url])
        #expect(anonymous.output == "401")
        let wrong = try await ProcessRunner.runAsync("curl", ["-sS", "--cacert", caFile.path, "-H", "Authorization: Bearer nope", url])
        #expect(wrong.output.contains("\"reason\":\"Unauthorized\""))
        #expect(!wrong.output.contains(fixture.cluster.token))
        let health = try await ProcessRunner.runAsync("curl", ["-sS", "--cacert", caFile.path, fixture.cluster.url + "/healthz"])
        #expect(health.output == "ok")
        let untrusted = try await ProcessRunner.runAsync("curl", ["-sS", url])
        #expect(untrusted.exitCode != 0, "a client that does not trust the cluster's CA is refused")
    }
}
