import Foundation
import KubeModel
import Manifests
import Testing
import TestSupport

@testable import LocalCluster

/// LocalCluster reads YAML as the API server and `kubectl` do (go-yaml v2 through
/// `sigs.k8s.io/yaml`), with the same reader Sluice loads manifests with, so an object reads the
/// same whichever way it reaches the cluster.
@Suite(.serialized) struct YAMLReadingTests {
    /// YAML 1.1 spellings in typed fields of a Deployment, with what they mean to `kubectl`.
    static let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: yaml11, namespace: default}
        spec:
          replicas: 0x2
          revisionHistoryLimit: 1_0
          progressDeadlineSeconds: 0o1130
          selector: {matchLabels: {app: yaml11}}
          template:
            metadata: {labels: {app: yaml11}}
            spec:
              terminationGracePeriodSeconds: 017
              automountServiceAccountToken: off
              enableServiceLinks: yes
              containers:
              - name: main
                image: busybox
                stdin: on
                tty: n
              volumes:
              - name: config
                configMap: {name: settings, defaultMode: 0755}
        """

    static let expectations: [([String], JSONValue)] = [
        (["spec", "replicas"], 2),
        (["spec", "revisionHistoryLimit"], 10),
        (["spec", "progressDeadlineSeconds"], 600),
        (["spec", "template", "spec", "terminationGracePeriodSeconds"], 15),
        (["spec", "template", "spec", "automountServiceAccountToken"], false),
        (["spec", "template", "spec", "enableServiceLinks"], true),
    ]

    @Test func kubectlServerSideApplyStoresWhatSluicesLoaderReadsFromTheSameFile() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let file = fixture.directory.appending("deployment.yaml")
        try Data(Self.deployment.utf8).write(to: file)
        try await fixture.kubectl("apply", "--server-side", "--field-manager=yaml-test", "-f", file.path)
        let stored = try await fixture.getJSON("deployment", "yaml11", "-n", "default")
        let loaded = try #require(try JSONValue.parseYAMLStream(Self.deployment).first)
        for (path, expected) in Self.expectations {
            #expect(stored[path: path] == expected, "stored \(path.joined(separator: "."))")
            #expect(loaded[path: path] == expected, "loaded \(path.joined(separator: "."))")
        }
        let container = ["spec", "template", "spec", "containers"]
        let storedContainer = try #require(stored[path: container]?.arrayValue?.first)
        let loadedContainer = try #require(loaded[path: container]?.arrayValue?.first)
        #expect(storedContainer["stdin"] == true && loadedContainer["stdin"] == true)
        #expect(storedContainer["tty"] == false && loadedContainer["tty"] == false)
        let mode = ["spec", "template", "spec", "volumes"]
        #expect(stored[path: mode]?.arrayValue?.first?[path: ["configMap", "defaultMode"]] == 493)
        #expect(loaded[path: mode]?.arrayValue?.first?[path: ["configMap", "defaultMode"]] == 493)
    }

    /// The spec of a custom resource that keeps unknown fields, in YAML 1.1 spellings.
    static let widgetSpec = """
        spec:
          yes: on
          no: off
          short: Y
          mode: 0755
          modeNew: 0o755
          negativeOctal: -0o17
          hex: 0x1F
          binary: 0b101
          thousand: 1_000
          float: 1e3
          fraction: .5
          wholeFloat: 1.0
          huge: 1e21
          nothing: ~
          empty: Null
          sexagesimal: 1:20
          date: 2024-01-31
          version: 1.2.3
          quoted: "yes"
          tagged: !!str on
          1: one
          1.50: one and a half
          1e6: million
        """

    @Test func anApplyPatchYAMLBodyOverHTTPReadsAsSluicesLoaderReadsIt() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        try await Self.installWidgets(fixture)
        let body = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: default}\n" + Self.widgetSpec
        let response = try await Self.applyYAML(fixture, body: body, name: "w1")
        #expect(response.status == 201 || response.status == 200, "\(response.text)")
        let stored = try await fixture.getJSON("widgets.example.com", "w1", "-n", "default")
        let loaded = try #require(try JSONValue.parseYAMLStream(Self.widgetSpec).first)
        // Server-side apply drops null members of an applied configuration, as the real server does.
        var withoutNulls = loaded["spec"]?.objectValue ?? [:]
        for (name, value) in withoutNulls where value.isNull { withoutNulls[name] = nil }
        #expect(loaded[path: ["spec", "nothing"]] == .null && loaded[path: ["spec", "empty"]] == .null)
        #expect(stored["spec"] == .object(withoutNulls))
        let expected: JSONValue = [
            "true": true, "false": false, "short": true, "mode": 493, "modeNew": 493, "negativeOctal": -15, "hex": 31, "binary": 5,
            "thousand": 1000, "float": 1000, "fraction": 0.5, "wholeFloat": 1, "huge": .double(1e21),
            "sexagesimal": "1:20", "date": "2024-01-31", "version": "1.2.3", "quoted": "yes", "tagged": "on",
            "1": "one", "1.5": "one and a half", "1e+06": "million",
        ]
        #expect(stored["spec"] == expected)
    }

    @Test func aKeyWrittenTwiceAndInfinityAreRefusedAsTheAPIServerRefusesThemUnderStrictValidation() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        try await Self.installWidgets(fixture)
        let twice = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2, namespace: default}\nspec: {size: 1, size: 2}\n"
        let duplicated = try await Self.applyYAML(fixture, body: twice, name: "w2")
        #expect(duplicated.status == 400, "\(duplicated.text)")
        #expect(duplicated.text.contains("error decoding YAML") && duplicated.text.contains("size"), "\(duplicated.text)")
        #expect(throws: ManifestError.self) { try JSONValue.parseYAMLStream(twice) }
        let infinite = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w3, namespace: default}\nspec: {size: .inf}\n"
        let refused = try await Self.applyYAML(fixture, body: infinite, name: "w3")
        #expect(refused.status == 400)
        #expect(refused.text.contains("error decoding YAML"), "\(refused.text)")
        // Sluice's loader refuses the same file, before any request.
        #expect(throws: ManifestError.self) { try JSONValue.parseYAMLStream(infinite) }
    }

    static func installWidgets(_ fixture: ClusterFixture) async throws {
        let crd = """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: widgets.example.com}
            spec:
              group: example.com
              names: {kind: Widget, plural: widgets, singular: widget}
              scope: Namespaced
              versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
            """
        try await fixture.kubectl("apply", "-f", "-", input: crd)
        try await fixture.kubectl("wait", "--for=condition=established", "crd/widgets.example.com", "--timeout=60s")
    }

    /// PATCHes `body` as `application/apply-patch+yaml` over HTTPS with curl, as a client that
    /// sends YAML would (kubectl itself sends JSON).
    static func applyYAML(_ fixture: ClusterFixture, body: String, name: String) async throws -> (status: Int, text: String) {
        let ca = fixture.directory.appending("ca-\(name).pem")
        try Data(fixture.cluster.caCertificatePEM.utf8).write(to: ca)
        // The token goes in a header file, not on the command line.
        let headers = fixture.directory.appending("headers-\(name)")
        try Data("Authorization: Bearer \(fixture.cluster.token)\nContent-Type: application/apply-patch+yaml\n".utf8).write(to: headers)
        let url = "\(fixture.cluster.url)/apis/example.com/v1/namespaces/default/widgets/\(name)?fieldManager=yaml-test"
        let result = try await ProcessRunner.runAsync(
            "curl", ["-sS", "--cacert", ca.path, "-H", "@\(headers.path)", "-X", "PATCH", "--data-binary", "@-", "-w", "\n%{http_code}", url],
            input: Data(body.utf8), timeout: .seconds(60))
        let output = String(decoding: result.stdout, as: UTF8.self)
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        let status = lines.last.flatMap { Int($0) } ?? 0
        return (status, lines.dropLast().joined(separator: "\n"))
    }
}
