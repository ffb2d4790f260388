import Foundation
import KubeModel
import Testing
import TestSupport

@testable import LocalCluster

/// The real kubectl drives LocalCluster as it would a real API server.
@Suite(.serialized) struct KubectlFidelityTests {
    static let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels: {app: web, tier: front}
        spec:
          replicas: 2
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: web
                image: nginx:1.25
                ports:
                - containerPort: 80
              - name: sidecar
                image: busybox
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        spec:
          selector: {app: web}
          ports:
          - port: 80
            targetPort: 80
        """

    @Test func apiResourcesAndVersionComeFromDiscovery() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let resources = try await fixture.kubectl("api-resources", "--no-headers").output
        for expected in ["deployments", "jobs", "customresourcedefinitions", "leases", "horizontalpodautoscalers", "poddisruptionbudgets", "ingresses", "clusterrolebindings"] {
            #expect(resources.contains(expected), "api-resources lacks \(expected)")
        }
        let version = try await fixture.kubectl("version", "-o", "json", check: false)
        let parsed = try JSONValue.parse(Array(version.stdout))
        #expect(parsed[path: ["serverVersion", "gitVersion"]]?.stringValue?.hasPrefix("v1.") == true)
    }

    @Test func createNamespaceThenReadItAsJSON() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        try await fixture.kubectl("create", "namespace", "team-a")
        let namespace = try await fixture.getJSON("namespace", "team-a")
        #expect(namespace[path: ["status", "phase"]] == "Active")
        #expect(namespace.uid?.isEmpty == false)
        let again = try await fixture.kubectl("create", "namespace", "team-a", check: false)
        #expect(again.exitCode != 0)
        #expect(again.errorOutput.contains("AlreadyExists") || again.errorOutput.contains("already exists"))
    }

    @Test func clientSideApplyCreatesThenMergesThreeWays() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let created = try await fixture.kubectl("apply", "-f", "-", input: Self.deployment)
        #expect(created.output.contains("deployment.apps/web created"))
        #expect(created.output.contains("service/web created"))
        // Another writer adds a label; the manifest drops one of its own and changes an image.
        try await fixture.kubectl("label", "deployment", "web", "owner=ops")
        let changed = Self.deployment.replacingOccurrences(of: "labels: {app: web, tier: front}", with: "labels: {app: web}")
            .replacingOccurrences(of: "nginx:1.25", with: "nginx:1.26")
        let configured = try await fixture.kubectl("apply", "-f", "-", input: changed)
        #expect(configured.output.contains("deployment.apps/web configured"))
        #expect(configured.output.contains("service/web unchanged"))
        let live = try await fixture.getJSON("deployment", "web")
        #expect(live.labels == ["app": "web", "owner": "ops"])
        let containers = live[path: ["spec", "template", "spec", "containers"]]?.arrayValue ?? []
        #expect(containers.compactMap { $0["image"]?.stringValue } == ["nginx:1.26", "busybox"])
        #expect(live.generation == 2)
        let service = try await fixture.getJSON("service", "web")
        #expect(service[path: ["spec", "clusterIP"]]?.stringValue?.hasPrefix("10.96.") == true)
        #expect(live[path: ["spec", "strategy", "type"]] == "RollingUpdate", "defaulted as a real server does")
        // Server-side printing, for one object as for a list.
        let table = try await fixture.kubectl("get", "deployment", "web").output
        #expect(table.hasPrefix("NAME   READY   UP-TO-DATE   AVAILABLE   AGE"))
        let services = try await fixture.kubectl("get", "services").output
        #expect(services.contains("CLUSTER-IP"))
    }

    @Test func serverSideApplyConflictsBetweenManagersUntilForced() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let configMap = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            data: {mode: blue, size: "3"}
            """
        let first = try await fixture.kubectl("apply", "--server-side", "--field-manager=team-a", "-f", "-", input: configMap)
        #expect(first.output.contains("serverside-applied"))
        let other = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: green}\n"
        let conflict = try await fixture.kubectl("apply", "--server-side", "--field-manager=team-b", "-f", "-", input: other, check: false)
        #expect(conflict.exitCode != 0)
        #expect(conflict.errorOutput.contains("conflict"))
        #expect(conflict.errorOutput.contains("team-a"))
        #expect(conflict.errorOutput.contains(".data.mode"))
        #expect(try await fixture.getJSON("configmap", "settings")[path: ["data", "mode"]] == "blue")
        try await fixture.kubectl("apply", "--server-side", "--field-manager=team-b", "--force-conflicts", "-f", "-", input: other)
        let live = try await fixture.getJSON("configmap", "settings", "--show-managed-fields")
        #expect(live[path: ["data", "mode"]] == "green")
        let managers = live[path: ["metadata", "managedFields"]]?.arrayValue?.compactMap { $0["manager"]?.stringValue } ?? []
        #expect(Set(managers) == ["team-a", "team-b"])
        // team-a stops applying `size`; nobody else owns it, so it goes.
        try await fixture.kubectl("apply", "--server-side", "--field-manager=team-a", "-f", "-", input: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {}\n")
        let after = try await fixture.getJSON("configmap", "settings")
        #expect(after["data"]?["size"] == nil)
        #expect(after[path: ["data", "mode"]] == "green")
    }

    @Test func deleteRemovesAndWaitsForTheObject() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        try await fixture.kubectl("apply", "-f", "-", input: Self.deployment)
        let deleted = try await fixture.kubectl("delete", "deployment", "web", "--wait=true", "--timeout=30s")
        #expect(deleted.output.contains("deleted"))
        let missing = try await fixture.kubectl("get", "deployment", "web", check: false)
        #expect(missing.exitCode != 0)
        #expect(missing.errorOutput.contains("NotFound") || missing.errorOutput.contains("not found"))
        // The ReplicaSet and its pods follow by garbage collection.
        try await waitUntil(timeout: .seconds(30), "replica sets and pods collected") {
            let sets = try await fixture.kubectl("get", "replicasets,pods", "-o", "name").trimmedOutput
            return sets.isEmpty
        }
    }

    @Test func waitForAJobAndReadItsLogs() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        let job = """
            apiVersion: batch/v1
            kind: Job
            metadata: {name: migrate}
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers:
                  - name: migrate
                    image: alpine
                    command: [sh, -c, 'echo "migrating $DB_NAME"; echo done']
                    env:
                    - {name: DB_NAME, value: orders}
            """
        try await fixture.kubectl("apply", "-f", "-", input: job)
        let waited = try await fixture.kubectl("wait", "--for=condition=complete", "job/migrate", "--timeout=30s")
        #expect(waited.output.contains("condition met"))
        let logs = try await fixture.kubectl("logs", "job/migrate")
        #expect(logs.output == "migrating orders\ndone\n")
    }

    @Test func serverSideDiffReportsChangesAndNothingWhenEqual() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        try await fixture.kubectl("apply", "--server-side", "-f", "-", input: Self.deployment)
        let same = try await fixture.kubectl("diff", "--server-side", "-f", "-", input: Self.deployment, check: false)
        #expect(same.exitCode == 0, "\(same.output)\(same.errorOutput)")
        let changed = Self.deployment.replacingOccurrences(of: "replicas: 2", with: "replicas: 5")
        let diff = try await fixture.kubectl("diff", "--server-side", "-f", "-", input: changed, check: false)
        #expect(diff.exitCode == 1, "\(diff.errorOutput)")
        #expect(diff.output.contains("-  replicas: 2"))
        #expect(diff.output.contains("+  replicas: 5"))
        // A dry run changed nothing.
        #expect(try await fixture.getJSON("deployment", "web")[path: ["spec", "replicas"]] == 2)
    }

    @Test func aCustomResourceDefinitionServesItsKind() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let crd = """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: widgets.example.com}
            spec:
              group: example.com
              names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
              scope: Namespaced
              versions:
              - name: v1
                served: true
                storage: true
                subresources: {status: {}}
                schema:
                  openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
            """
        try await fixture.kubectl("apply", "-f", "-", input: crd)
        try await fixture.kubectl("wait", "--for=condition=established", "crd/widgets.example.com", "--timeout=20s")
        try await fixture.kubectl("apply", "-f", "-", input: "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n")
        let widget = try await fixture.getJSON("wd", "w1")
        #expect(widget[path: ["spec", "size"]] == 3)
        #expect(widget.generation == 1)
        #expect(try await fixture.kubectl("api-resources", "--api-group=example.com").output.contains("widgets"))
        try await fixture.kubectl("delete", "crd", "widgets.example.com")
        try await waitUntil(timeout: .seconds(30), "the kind is no longer served") {
            let result = try await fixture.kubectl("get", "widgets.example.com", check: false)
            return result.exitCode != 0
        }
    }

    @Test func manifestsShapedLikeTheSyncWavesSampleApply() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let manifests = """
            apiVersion: batch/v1
            kind: Job
            metadata:
              generateName: schema-upgrade-
              annotations:
                argocd.argoproj.io/hook: PreSync
            spec:
              backoffLimit: 0
              template:
                spec:
                  restartPolicy: Never
                  containers:
                  - {name: upgrade, image: alpine:3, command: ["true"]}
            ---
            apiVersion: apps/v1
            kind: ReplicaSet
            metadata:
              name: api
              annotations: {argocd.argoproj.io/sync-wave: "1"}
            spec:
              replicas: 2
              selector: {matchLabels: {tier: api}}
              template:
                metadata: {labels: {tier: api}}
                spec:
                  containers: [{name: main, image: nginx:latest}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: api}
            spec:
              selector: {tier: api}
              ports: [{protocol: TCP, port: 8080, targetPort: 8080}]
            """
        let created = try await fixture.kubectl("create", "-f", "-", input: manifests)
        #expect(created.output.contains("job.batch/schema-upgrade-"))
        let set = try await fixture.waitFor("/apis/apps/v1/namespaces/default/replicasets/api", "replica set ready") {
            $0[path: ["status", "readyReplicas"]] == 2
        }
        #expect(set[path: ["status", "replicas"]] == 2)
        let jobs = try await fixture.getJSON("jobs")
        #expect(jobs["items"]?.arrayValue?.first?.name?.hasPrefix("schema-upgrade-") == true)
    }

    @Test func manifestsShapedLikeTheHelmHooksSampleApply() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        let manifests = """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: create-schema
              annotations:
                helm.sh/hook: pre-install
                helm.sh/hook-weight: "-2"
                helm.sh/hook-delete-policy: before-hook-creation
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers:
                  - {name: schema, image: postgres:16, command: [sh, -c, "echo schema created"]}
            ---
            apiVersion: apps/v1
            kind: ReplicaSet
            metadata:
              name: frontend
            spec:
              replicas: 1
              selector: {matchLabels: {tier: frontend}}
              template:
                metadata: {labels: {tier: frontend}}
                spec:
                  containers: [{name: main, image: nginx:latest}]
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: frontend
              annotations: {helm.sh/hook-weight: "2"}
            spec:
              type: LoadBalancer
              selector: {tier: frontend}
              ports: [{port: 80}]
            """
        let applied = try await fixture.kubectl("apply", "-f", "-", input: manifests)
        #expect(applied.output.contains("job.batch/create-schema created"))
        try await fixture.kubectl("wait", "--for=condition=complete", "job/create-schema", "--timeout=30s")
        #expect(try await fixture.kubectl("logs", "job/create-schema").output == "schema created\n")
        let set = try await fixture.waitFor("/apis/apps/v1/namespaces/default/replicasets/frontend", "replica set ready") {
            $0[path: ["status", "readyReplicas"]] == 1
        }
        #expect(set.annotations["kubectl.kubernetes.io/last-applied-configuration"] != nil)
        let service = try await fixture.waitFor("/api/v1/namespaces/default/services/frontend", "load balancer address") {
            $0[path: ["status", "loadBalancer", "ingress"]] != nil
        }
        #expect(service.annotations["helm.sh/hook-weight"] == "2")
    }
}
