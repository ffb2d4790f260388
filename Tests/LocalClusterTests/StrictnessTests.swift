import Foundation
import KubeModel
import Testing
import TestSupport

@testable import LocalCluster

/// What a real kube-apiserver refuses, LocalCluster refuses too, seen through the real kubectl:
/// data over 1 MiB, Secret data that is not base64, request bodies over 3 MiB. And what a real
/// cluster shows: Ingress addresses (an ingress controller, as on k3s) and Events with their real
/// columns.
@Suite struct StrictnessTests {
    static func configMap(_ name: String, bytes: Int) -> String {
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \(name)}\ndata:\n  big: \"\(String(repeating: "x", count: bytes))\"\n"
    }

    @Test("a ConfigMap or Secret over 1 MiB of data is refused (422, Too long), one at the limit is accepted")
    func dataOverOneMebibyte() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let atLimit = try await fixture.kubectl(["create", "-f", "-"], input: Self.configMap("at-limit", bytes: 1 << 20), check: false)
        #expect(atLimit.exitCode == 0, "\(atLimit.errorOutput)")
        let over = try await fixture.kubectl(["create", "-f", "-"], input: Self.configMap("over", bytes: (1 << 20) + 1), check: false)
        #expect(over.exitCode != 0)
        #expect(over.errorOutput.contains("ConfigMap \"over\" is invalid") && over.errorOutput.contains("Too long"), "\(over.errorOutput)")
        #expect(over.errorOutput.contains("1048576 bytes"), "\(over.errorOutput)")

        // A Secret counts decoded bytes: 1 MiB + 1 of data, base64 in the request.
        let encoded = Data(repeating: 0x61, count: (1 << 20) + 1).base64EncodedString()
        let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: big}\ndata:\n  blob: \(encoded)\n"
        let refused = try await fixture.kubectl(["create", "-f", "-"], input: secret, check: false)
        #expect(refused.errorOutput.contains("Secret \"big\" is invalid: data: Too long"), "\(refused.errorOutput)")
    }

    @Test("Secret data that is not base64 cannot be decoded: 400, naming the byte, as the real server says it")
    func secretDataMustBeBase64() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: plain}\ndata:\n  password: not base64!\n"
        let refused = try await fixture.kubectl(["apply", "--server-side", "-f", "-"], input: secret, check: false)
        #expect(refused.exitCode != 0)
        #expect(
            refused.errorOutput.contains("Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 3"),
            "\(refused.errorOutput)")
        // stringData is the way to give text; it is stored base64.
        let text = "apiVersion: v1\nkind: Secret\nmetadata: {name: text}\nstringData:\n  password: not base64!\n"
        try await fixture.kubectl(["create", "-f", "-"], input: text)
        let stored = try await fixture.getJSON("secret", "text")
        #expect(stored[path: ["data", "password"]]?.stringValue == Data("not base64!".utf8).base64EncodedString())

        #expect(KindRules.illegalBase64Offset("aGVsbG8=") == nil)
        #expect(KindRules.illegalBase64Offset("aGVsbG8") == 4, "a short last quantum")
        #expect(KindRules.illegalBase64Offset("aGVs\nbG8=") == nil, "line breaks are skipped")
        #expect(KindRules.illegalBase64Offset("aG=s") == 2)
    }

    @Test("a request body over 3 MiB is refused with 413 as kube-apiserver refuses it")
    func requestBodyOverThreeMebibytes() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let huge = Self.configMap("huge", bytes: (3 << 20) + 16)
        let refused = try await fixture.kubectl(["create", "-f", "-"], input: huge, check: false)
        #expect(refused.exitCode != 0)
        #expect(refused.errorOutput.contains("Request entity too large: limit is 3145728"), "\(refused.errorOutput)")
    }

    @Test("an Ingress gets the ingress controller's address, shown by kubectl get ingress")
    func ingressGetsAnAddress() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let ingress = """
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: web}
            spec:
              rules:
              - host: shop.example.com
                http:
                  paths:
                  - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
            """
        try await fixture.kubectl(["apply", "-f", "-"], input: ingress)
        try await waitUntil(timeout: .seconds(30), "the Ingress has an address") {
            try await fixture.getJSON("ingress", "web")[path: ["status", "loadBalancer", "ingress"]]?.arrayValue?.first?["ip"] == "127.0.0.1"
        }
        let listed = try await fixture.kubectl("get", "ingress", "web")
        #expect(listed.output.contains("ADDRESS") && listed.output.contains("shop.example.com") && listed.output.contains("127.0.0.1"), "\(listed.output)")
    }

    @Test("kubectl get events shows LAST SEEN, TYPE, REASON, OBJECT and MESSAGE; describe finds an object's Events by its uid")
    func eventsHaveTheirColumns() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        try await fixture.kubectl(["create", "configmap", "settings", "--from-literal=a=1"])
        let uid = try #require(try await fixture.getJSON("configmap", "settings").uid)
        let event = """
            apiVersion: v1
            kind: Event
            metadata: {name: settings.1}
            involvedObject: {apiVersion: v1, kind: ConfigMap, name: settings, namespace: default, uid: \(uid)}
            reason: SyncSucceeded
            type: Normal
            message: synced the settings
            source: {component: sluice}
            firstTimestamp: "2026-12-06T10:00:00Z"
            lastTimestamp: "2026-12-06T10:00:00Z"
            count: 1
            """
        try await fixture.kubectl(["create", "-f", "-"], input: event)
        let listed = try await fixture.kubectl("get", "events")
        let header = listed.output.split(separator: "\n").first.map(String.init) ?? ""
        #expect(header.split(separator: " ", omittingEmptySubsequences: true) == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], "\(listed.output)")
        #expect(listed.output.contains("configmap/settings") && listed.output.contains("synced the settings"), "\(listed.output)")
        let described = try await fixture.kubectl("describe", "configmap", "settings")
        #expect(described.output.contains("SyncSucceeded") && !described.output.contains("Events:  <none>"), "\(described.output)")
    }

    @Test("a container that terminated may not be reported running again (restartPolicy Never): 422, as the real server's status validation")
    func terminatedContainerMayNotRunAgain() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: once}\nspec:\n  restartPolicy: Never\n  containers: [{name: main, image: busybox}]\n"
        try await fixture.kubectl(["create", "-f", "-"], input: pod)
        try await waitUntil(timeout: .seconds(30), "the pod's container terminated") {
            try await fixture.getJSON("pod", "once")[path: ["status", "containerStatuses"]]?.arrayValue?.first?[path: ["state", "terminated"]] != nil
        }
        let running = #"{"status":{"containerStatuses":[{"name":"main","image":"busybox","imageID":"","ready":true,"restartCount":0,"state":{"running":{"startedAt":"2026-12-06T10:00:00Z"}}}]}}"#
        let refused = try await fixture.kubectl(["patch", "pod", "once", "--subresource=status", "--type=merge", "-p", running], check: false)
        #expect(refused.exitCode != 0)
        #expect(
            refused.errorOutput.contains("status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state"),
            "\(refused.errorOutput)")
        // With restartPolicy Always the kubelet restarts containers: the same change is accepted.
        let always = "apiVersion: v1\nkind: Pod\nmetadata: {name: server}\nspec:\n  containers: [{name: main, image: busybox}]\n"
        try await fixture.kubectl(["create", "-f", "-"], input: always)
        let terminated = #"{"status":{"containerStatuses":[{"name":"main","image":"busybox","imageID":"","ready":false,"restartCount":0,"state":{"terminated":{"exitCode":1,"startedAt":"2026-12-06T10:00:00Z","finishedAt":"2026-12-06T10:00:01Z"}}}]}}"#
        try await fixture.kubectl(["patch", "pod", "server", "--subresource=status", "--type=merge", "-p", terminated])
        try await fixture.kubectl(["patch", "pod", "server", "--subresource=status", "--type=merge", "-p", running])
    }
}
