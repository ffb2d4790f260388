import Foundation
import KubeModel
import Testing
import TestSupport

@testable import LocalCluster

/// The simulated controllers give workloads the status a real cluster would.
@Suite struct ControllerTests {
    static let deployments = "/apis/apps/v1/namespaces/default/deployments"
    static let jobs = "/apis/batch/v1/namespaces/default/jobs"

    static func deployment(_ name: String, replicas: Int64 = 2, container: JSONValue = ["name": "app", "image": "nginx"], deadline: Int64? = nil) -> JSONValue {
        var object: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name)],
            "spec": [
                "replicas": .int(replicas), "selector": ["matchLabels": ["app": .string(name)]],
                "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [container]]],
            ],
        ]
        if let deadline { object[path: ["spec", "progressDeadlineSeconds"]] = .int(deadline) }
        return object
    }

    static func job(_ name: String, command: [JSONValue]? = nil, extra: [String: JSONValue] = [:]) -> JSONValue {
        var container: JSONValue = ["name": "main", "image": "alpine"]
        if let command { container["command"] = .array(command) }
        var spec: JSONValue = ["template": ["spec": ["restartPolicy": "Never", "containers": [container]]]]
        for (key, value) in extra { spec[key] = value }
        return ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": .string(name)], "spec": spec]
    }

    @Test func aDeploymentRollsOutThroughProgressingToAvailable() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let (events, cancel, _, _) = try fixture.cluster.store.watch(GroupResource(group: "apps", resource: "deployments"), namespace: "default", start: .after(fixture.cluster.store.revision))
        defer { cancel() }
        _ = await fixture.request("POST", Self.deployments, body: Self.deployment("web"))
        var sawProgressing = false
        for await event in events {
            let object = event.object
            if object.hasCondition("Available", status: "False") && object.hasCondition("Progressing") { sawProgressing = true }
            if object.hasCondition("Available") {
                #expect(object[path: ["status", "readyReplicas"]] == 2)
                #expect(object[path: ["status", "observedGeneration"]] == 1)
                break
            }
        }
        #expect(sawProgressing, "the rollout went through Progressing before Available")
        let done = try await fixture.waitFor(Self.deployments + "/web", "rollout complete") { deployment in
            (deployment[path: ["status", "conditions"]]?.arrayValue ?? []).contains { $0["reason"] == "NewReplicaSetAvailable" }
        }
        #expect(done[path: ["status", "updatedReplicas"]] == 2)
        let sets = fixture.cluster.store.list(GroupResource(group: "apps", resource: "replicasets"), namespace: "default").items
        #expect(sets.count == 1)
        #expect(sets.first?.ownerReferences.first?.kind == "Deployment")
        // A new template rolls out a new ReplicaSet and scales the old one to zero.
        _ = await fixture.request(
            "PATCH", Self.deployments + "/web", body: ["spec": ["template": ["spec": ["containers": [["name": "app", "image": "nginx:2"]]]]]],
            contentType: "application/strategic-merge-patch+json")
        try await waitUntil(timeout: .seconds(120), "old replica set scaled down") {
            let sets = fixture.cluster.store.list(GroupResource(group: "apps", resource: "replicasets"), namespace: "default").items
            return sets.count == 2 && sets.contains { $0[path: ["spec", "replicas"]] == 0 }
        }
        let updated = try await fixture.waitFor(Self.deployments + "/web", "second rollout complete") {
            $0[path: ["status", "observedGeneration"]] == 2 && $0.hasCondition("Available")
                && ($0[path: ["status", "conditions"]]?.arrayValue ?? []).contains { $0["reason"] == "NewReplicaSetAvailable" }
        }
        #expect(updated.annotations["deployment.kubernetes.io/revision"] == "2")
    }

    @Test func aCrashingContainerLoopsAndTheRolloutMissesItsDeadline() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        // Ready once it serves, which it never gets to (a container without a readiness probe would
        // be ready for the moment it runs, as on a real cluster).
        let crashing: JSONValue = [
            "name": "app", "image": "app", "command": ["sh", "-c", "echo starting; exit 3"],
            "readinessProbe": ["exec": ["command": ["test", "-e", "serving"]], "periodSeconds": 1],
        ]
        _ = await fixture.request("POST", Self.deployments, body: Self.deployment("crash", replicas: 1, container: crashing, deadline: 2))
        let failed = try await fixture.waitFor(Self.deployments + "/crash", timeout: .seconds(120), "progress deadline exceeded") { deployment in
            (deployment[path: ["status", "conditions"]]?.arrayValue ?? []).contains { $0["type"] == "Progressing" && $0["reason"] == "ProgressDeadlineExceeded" && $0["status"] == "False" }
        }
        #expect(failed.hasCondition("Available", status: "False"))
        var statuses: [JSONValue] = []
        try await waitUntil(timeout: .seconds(120), "the container restarted after exiting 3") {
            let pods = fixture.cluster.store.list(GroupResource(group: "", resource: "pods"), namespace: "default").items
            statuses = pods.flatMap { $0[path: ["status", "containerStatuses"]]?.arrayValue ?? [] }
            return statuses.contains { ($0["restartCount"]?.intValue ?? 0) >= 1 && $0[path: ["lastState", "terminated", "exitCode"]] == 3 }
        }
        let logs = try await fixture.kubectl("logs", "deployment/crash")
        #expect(logs.output.contains("starting"))
    }

    @Test func aJobWhoseCommandFailsFailsAtItsBackoffLimit() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        _ = await fixture.request("POST", Self.jobs, body: Self.job("broken", command: ["sh", "-c", "echo boom >&2; exit 1"], extra: ["backoffLimit": 1]))
        let job = try await fixture.waitFor(Self.jobs + "/broken", "job failed") { $0.hasCondition("Failed") }
        #expect(job[path: ["status", "failed"]] == 2)
        let failed = (job[path: ["status", "conditions"]]?.arrayValue ?? []).first { $0["type"] == "Failed" }
        #expect(failed?["reason"] == "BackoffLimitExceeded")
        #expect(!job.hasCondition("Complete"))
        let logs = try await fixture.kubectl("logs", "job/broken")
        #expect(logs.output.contains("boom"))
    }

    @Test func aJobOverItsActiveDeadlineFailsAndItsPodIsKilled() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        _ = await fixture.request("POST", Self.jobs, body: Self.job("slow", command: ["sleep", "300"], extra: ["activeDeadlineSeconds": 1]))
        let job = try await fixture.waitFor(Self.jobs + "/slow", "deadline exceeded") { $0.hasCondition("Failed") }
        #expect((job[path: ["status", "conditions"]]?.arrayValue ?? []).contains { $0["reason"] == "DeadlineExceeded" })
        try await waitUntil(timeout: .seconds(120), "the job's pod is gone") {
            fixture.cluster.store.list(GroupResource(group: "", resource: "pods"), namespace: "default").items.isEmpty
        }
    }

    @Test func aFinishedJobIsDeletedAfterItsTTL() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        // Followed through the store's events, which queue up, so a slow test cannot miss the
        // second in which the job is Complete.
        let (events, cancel, _, _) = try fixture.cluster.store.watch(
            GroupResource(group: "batch", resource: "jobs"), namespace: "default", start: .after(fixture.cluster.store.revision))
        defer { cancel() }
        _ = await fixture.request("POST", Self.jobs, body: Self.job("short", extra: ["ttlSecondsAfterFinished": 1]))
        var sawComplete = false
        var deleted: JSONValue?
        for await event in events {
            if event.object.hasCondition("Complete") { sawComplete = true }
            if event.kind == .deleted {
                deleted = event.object
                break
            }
        }
        #expect(sawComplete, "the job completed before it was deleted")
        #expect(deleted?.hasCondition("Complete") == true, "deleted as a finished job, by its TTL")
        try await waitUntil(timeout: .seconds(120), "the job's pods are collected") {
            fixture.cluster.store.list(GroupResource(group: "", resource: "pods"), namespace: "default").items.isEmpty
        }
    }

    @Test func podsRunTheirCommandsWithTheirEnvironment() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        _ = await fixture.request("POST", "/api/v1/namespaces/default/configmaps", body: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cfg"], "data": ["MODE": "blue"]])
        _ = await fixture.request("POST", "/api/v1/namespaces/default/secrets", body: ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "sec"], "stringData": ["password": "hunter2"]])
        let pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "env"],
            "spec": [
                "restartPolicy": "Never",
                "containers": [[
                    "name": "main", "image": "alpine", "command": ["sh", "-c"],
                    "args": ["echo mode=$MODE pw=$PW name=$POD_NAME greeting=$GREETING; pwd; test -z \"$UNSET_IN_SPEC\""],
                    "envFrom": [["configMapRef": ["name": "cfg"]]],
                    "env": [
                        ["name": "PW", "valueFrom": ["secretKeyRef": ["name": "sec", "key": "password"]]],
                        ["name": "POD_NAME", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]],
                        ["name": "GREETING", "value": "hello-$(MODE)"],
                    ],
                ]],
            ],
        ]
        _ = await fixture.request("POST", "/api/v1/namespaces/default/pods", body: pod)
        let done = try await fixture.waitFor("/api/v1/namespaces/default/pods/env", "pod succeeded") { $0[path: ["status", "phase"]] == "Succeeded" }
        #expect(done[path: ["status", "containerStatuses"]]?.arrayValue?.first?[path: ["state", "terminated", "exitCode"]] == 0)
        let logs = try await fixture.kubectl("logs", "env").output
        #expect(logs.hasPrefix("mode=blue pw=hunter2 name=env greeting=hello-blue\n"))
        #expect(logs.contains(fixture.cluster.directory.appendingPathComponent("pods").path), "a private working directory under the cluster's data")
    }

    @Test func aContainerWithoutCommandIsReadyAtOnceAndDeletionKillsProcesses() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        let pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "mixed"],
            "spec": ["containers": [
                ["name": "server", "image": "nginx"],
                ["name": "worker", "image": "alpine", "command": ["sh", "-c", "echo $$ > pid; exec sleep 300"]],
            ]],
        ]
        _ = await fixture.request("POST", "/api/v1/namespaces/default/pods", body: pod)
        let running = try await fixture.waitFor("/api/v1/namespaces/default/pods/mixed", "pod ready") { $0.hasCondition("Ready") }
        #expect(running[path: ["status", "phase"]] == "Running")
        let directory = fixture.cluster.directory.appendingPathComponent("pods/default_mixed_\(running.uid ?? "")/worker")
        var pid: Int32 = 0
        try await waitUntil(timeout: .seconds(120), "the worker wrote its pid") {
            pid = Int32((try? String(contentsOf: directory.appendingPathComponent("pid"), encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
            return pid > 0
        }
        #expect(kill(pid, 0) == 0)
        _ = await fixture.request("DELETE", "/api/v1/namespaces/default/pods/mixed")
        try await waitUntil(timeout: .seconds(120), "the worker process is gone") { kill(pid, 0) != 0 }
    }

    @Test func claimsBindLoadBalancersGetAddressesAndSetsBecomeReady() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        _ = await fixture.request(
            "POST", "/api/v1/namespaces/default/persistentvolumeclaims",
            body: ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": "data"], "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]])
        _ = await fixture.request(
            "POST", "/api/v1/namespaces/default/services",
            body: ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "lb"], "spec": ["type": "LoadBalancer", "ports": [["port": 80]]]])
        let template: JSONValue = ["metadata": ["labels": ["app": "db"]], "spec": ["containers": [["name": "db", "image": "postgres"]]]]
        _ = await fixture.request(
            "POST", "/apis/apps/v1/namespaces/default/statefulsets",
            body: ["apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": ["name": "db"], "spec": ["replicas": 2, "serviceName": "db", "selector": ["matchLabels": ["app": "db"]], "template": template]])
        _ = await fixture.request(
            "POST", "/apis/apps/v1/namespaces/default/daemonsets",
            body: ["apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": ["name": "agent"], "spec": ["selector": ["matchLabels": ["app": "db"]], "template": template]])
        let claim = try await fixture.waitFor("/api/v1/namespaces/default/persistentvolumeclaims/data", "claim bound") { $0[path: ["status", "phase"]] == "Bound" }
        #expect(claim[path: ["spec", "volumeName"]]?.stringValue?.isEmpty == false)
        let service = try await fixture.waitFor("/api/v1/namespaces/default/services/lb", "load balancer address") { $0[path: ["status", "loadBalancer", "ingress"]] != nil }
        #expect(service[path: ["spec", "ports"]]?.arrayValue?.first?["nodePort"]?.intValue != nil)
        let set = try await fixture.waitFor("/apis/apps/v1/namespaces/default/statefulsets/db", "stateful set ready") { $0[path: ["status", "readyReplicas"]] == 2 }
        #expect(set[path: ["status", "currentRevision"]] != nil)
        #expect(await fixture.request("GET", "/api/v1/namespaces/default/pods/db-0").status == 200)
        #expect(await fixture.request("GET", "/api/v1/namespaces/default/pods/db-1").status == 200)
        _ = try await fixture.waitFor("/apis/apps/v1/namespaces/default/daemonsets/agent", "daemon set ready") { $0[path: ["status", "numberReady"]] == 1 }
    }
}
