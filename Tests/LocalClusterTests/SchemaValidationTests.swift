import Foundation
import KubeModel
import Testing
import TestSupport

@testable import LocalCluster

/// LocalCluster types objects by Kubernetes' published schemas and CRDs' structural schemas, and
/// answers as a real kube-apiserver does, seen through the real kubectl: server-side apply refuses
/// undeclared fields and wrong types (structured-merge-diff's message); create, update and patch
/// follow `fieldValidation` (Strict refuses, Warn drops with a Warning, Ignore drops silently).
@Suite struct SchemaValidationTests {
    static let typo = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: default}
        spec:
          replica: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: web
                image: nginx:1.27
                imagePullPolice: Always

        """

    @Test("server-side apply refuses fields the schema does not declare, naming each with structured-merge-diff's path")
    func serverSideApplyRefusesUndeclaredFields() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let refused = try await fixture.kubectl(["apply", "--server-side", "-f", "-"], input: Self.typo, check: false)
        #expect(refused.exitCode != 0)
        #expect(
            refused.errorOutput.contains(
                "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): errors:\n  .spec.replica: field not declared in schema\n  .spec.template.spec.containers[name=\"web\"].imagePullPolice: field not declared in schema"),
            "\(refused.errorOutput)")
        // Nothing was stored, whatever fieldValidation asks for: apply types its body first.
        let ignored = try await fixture.kubectl(["apply", "--server-side", "--validate=false", "-f", "-"], input: Self.typo, check: false)
        #expect(ignored.exitCode != 0, "\(ignored.output)")
        let missing = try await fixture.kubectl(["get", "deployment", "web"], check: false)
        #expect(missing.errorOutput.contains("NotFound") || missing.errorOutput.contains("not found"), "\(missing.errorOutput)")

        // The same object without the typos applies.
        let fixed = Self.typo.replacingOccurrences(of: "replica: 3", with: "replicas: 3").replacingOccurrences(of: "imagePullPolice", with: "imagePullPolicy")
        try await fixture.kubectl(["apply", "--server-side", "-f", "-"], input: fixed)
        #expect(try await fixture.getJSON("deployment", "web")[path: ["spec", "replicas"]] == 3)
    }

    @Test("create follows fieldValidation: Strict refuses (400, strict decoding error), Warn drops with a Warning, Ignore drops silently")
    func createFollowsFieldValidation() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let strict = try await fixture.kubectl(["create", "-f", "-"], input: Self.typo, check: false)
        #expect(strict.exitCode != 0)
        #expect(
            strict.errorOutput.contains(
                "Error from server (BadRequest): error when creating \"STDIN\": Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.replica\", unknown field \"spec.template.spec.containers[0].imagePullPolice\""),
            "\(strict.errorOutput)")

        let warned = try await fixture.kubectl(["create", "--validate=warn", "-f", "-"], input: Self.typo)
        #expect(warned.errorOutput.contains("Warning: unknown field \"spec.replica\""), "\(warned.errorOutput)")
        #expect(warned.errorOutput.contains("Warning: unknown field \"spec.template.spec.containers[0].imagePullPolice\""), "\(warned.errorOutput)")
        let stored = try await fixture.getJSON("deployment", "web")
        #expect(stored[path: ["spec", "replica"]] == nil)
        #expect(stored[path: ["spec", "replicas"]] == 1, "the default, since the typo was dropped")

        let silent = try await fixture.kubectl(["create", "--validate=false", "-f", "-"], input: Self.typo.replacingOccurrences(of: "name: web, namespace", with: "name: quiet, namespace"))
        #expect(!silent.errorOutput.contains("Warning"), "\(silent.errorOutput)")
        #expect(try await fixture.getJSON("deployment", "quiet")[path: ["spec", "replica"]] == nil)

        // Without the parameter the server's default is Warn.
        let plain = await fixture.request(
            "POST", "/api/v1/namespaces/default/configmaps",
            body: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "plain"], "data": ["a": "b"], "extra": true])
        #expect(plain.status == 201)
        #expect(plain.body["extra"] == nil)
    }

    @Test("a value of the wrong type is refused: Go's decoding error on create, structured-merge-diff's on apply")
    func wrongTypesAreRefused() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let manifest = Self.typo.replacingOccurrences(of: "replica: 3", with: "replicas: three").replacingOccurrences(of: "imagePullPolice", with: "imagePullPolicy")
        let created = try await fixture.kubectl(["create", "-f", "-"], input: manifest, check: false)
        #expect(
            created.errorOutput.contains(
                "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"),
            "\(created.errorOutput)")
        let applied = try await fixture.kubectl(["apply", "--server-side", "-f", "-"], input: manifest, check: false)
        #expect(
            applied.errorOutput.contains(
                "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string"),
            "\(applied.errorOutput)")
        // int-or-string and quantities take both.
        let flexible = """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              selector: {app: web}
              ports: [{port: 80, targetPort: http}, {name: b, port: 81, targetPort: 8081}]

            """
        try await fixture.kubectl(["apply", "--server-side", "-f", "-"], input: flexible)
    }

    @Test("server-side apply refuses two entries of an associative list with one key; a create keeps both, as the real server does")
    func serverSideApplyRefusesDuplicateListKeys() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let manifest = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: dup, namespace: default}
            spec:
              selector: {matchLabels: {app: dup}}
              template:
                metadata: {labels: {app: dup}}
                spec:
                  containers:
                  - name: web
                    image: nginx:1.27
                    env:
                    - {name: A, value: "1"}
                    - {name: A, value: "2"}

            """
        let applied = try await fixture.kubectl(["apply", "--server-side", "-f", "-"], input: manifest, check: false)
        #expect(
            applied.errorOutput.contains(
                "failed to create typed patch object (default/dup; apps/v1, Kind=Deployment): .spec.template.spec.containers[name=\"web\"].env: duplicate entries for key [name=\"A\"]"),
            "\(applied.errorOutput)")
        try await fixture.kubectl(["create", "-f", "-"], input: manifest)
        let stored = try await fixture.getJSON("deployment", "dup")
        #expect(stored[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.first?["env"]?.arrayValue?.count == 2)
    }

    @Test("a merge patch with an undeclared field: Strict refuses it against the patched document (422), Warn drops it with a Warning")
    func patchFollowsFieldValidation() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        try await fixture.kubectl(["create", "configmap", "settings", "--from-literal=a=b"])
        let strict = await fixture.request(
            "PATCH", "/api/v1/namespaces/default/configmaps/settings", query: ["fieldValidation": "Strict"],
            body: ["spec": ["x": 1]], contentType: "application/merge-patch+json")
        #expect(strict.status == 422)
        let message = strict.body["message"]?.stringValue ?? ""
        #expect(message.hasPrefix(" \"\" is invalid: patch: Invalid value: \"{"), "\(message)")
        #expect(message.hasSuffix("strict decoding error: unknown field \"spec\""), "\(message)")

        let warned = try await fixture.kubectl(["patch", "configmap", "settings", "--type=merge", "-p", #"{"spec":{"x":1},"data":{"c":"d"}}"#])
        #expect(warned.errorOutput.contains("Warning: unknown field \"spec\""), "\(warned.errorOutput)")
        let stored = try await fixture.getJSON("configmap", "settings")
        #expect(stored["spec"] == nil)
        #expect(stored[path: ["data", "c"]] == "d")
    }

    @Test("a custom resource is typed and pruned by its CRD's structural schema, keeping x-kubernetes-preserve-unknown-fields")
    func customResourcesFollowTheirSchema() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let definition = """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: widgets.example.com}
            spec:
              group: example.com
              scope: Namespaced
              names: {plural: widgets, singular: widget, kind: Widget}
              versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec:
                        type: object
                        properties:
                          size: {type: integer}
                          port: {x-kubernetes-int-or-string: true}
                          extra: {type: object, x-kubernetes-preserve-unknown-fields: true}

            """
        try await fixture.kubectl(["apply", "--server-side", "-f", "-"], input: definition)
        try await fixture.kubectl(["wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=60s"])
        let widget = """
            apiVersion: example.com/v1
            kind: Widget
            metadata: {name: w}
            spec:
              size: 3
              port: http
              colour: red
              extra: {anything: [1, 2]}

            """
        let applied = try await fixture.kubectl(["apply", "--server-side", "-f", "-"], input: widget, check: false)
        #expect(
            applied.errorOutput.contains("failed to create typed patch object (default/w; example.com/v1, Kind=Widget): .spec.colour: field not declared in schema"),
            "\(applied.errorOutput)")
        let created = try await fixture.kubectl(["create", "--validate=warn", "-f", "-"], input: widget)
        #expect(created.errorOutput.contains("Warning: unknown field \"spec.colour\""), "\(created.errorOutput)")
        let stored = try await fixture.getJSON("widget", "w")
        #expect(stored["spec"] == ["size": 3, "port": "http", "extra": ["anything": [1, 2]]])

        let wrong = widget.replacingOccurrences(of: "size: 3", with: "size: big").replacingOccurrences(of: "name: w}", with: "name: w2}")
        let refused = try await fixture.kubectl(["create", "--validate=false", "-f", "-"], input: wrong, check: false)
        #expect(
            refused.errorOutput.contains("The Widget \"w2\" is invalid: spec.size: Invalid value: \"string\": spec.size in body must be of type integer: \"string\""),
            "\(refused.errorOutput)")
    }

    @Test("the compact schemas are the ones scripts/gen/kubernetes-schemas writes from kubernetes-validate, for the version the cluster reports")
    func generatedSchemasAreCurrent() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let result = try await ProcessRunner.runAsync(
            "/usr/bin/env", ["python3", root.appendingPathComponent("scripts/gen/kubernetes-schemas").path, "--check"], timeout: .seconds(120))
        #expect(result.exitCode == 0, "\(result.errorOutput)")
        let minor = ClusterAPI.serverVersion["minor"]?.stringValue ?? ""
        #expect(KubernetesSchemas.kubernetesVersion.hasPrefix("v1.\(minor)."), "schemas \(KubernetesSchemas.kubernetesVersion), server 1.\(minor)")
        #expect(KubernetesSchemas.root(for: GroupVersionKind(group: "apps", version: "v1", kind: "Deployment")) != nil)
    }
}
