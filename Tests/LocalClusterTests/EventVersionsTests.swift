import Foundation
import KubeModel
import Testing
import TestSupport

@testable import LocalCluster

/// Core `v1` and `events.k8s.io/v1` Events are two views of one resource, as on a real server.
@Suite(.serialized) struct EventVersionsTests {
    @Test("an events.k8s.io/v1 Event shows in kubectl get events and describe with the core field names, and back")
    func eventsV1IsAViewOfCoreEvents() async throws {
        let fixture = try await ClusterFixture()
        defer { Task { await fixture.stop() } }
        try await fixture.kubectl(["create", "configmap", "settings", "--from-literal=a=1"])
        let uid = try #require(try await fixture.getJSON("configmap", "settings").uid)
        let event = """
            apiVersion: events.k8s.io/v1
            kind: Event
            metadata: {name: settings.18f0a1b2c3d4e5f6}
            regarding: {apiVersion: v1, kind: ConfigMap, name: settings, namespace: default, uid: \(uid)}
            reason: SyncSucceeded
            type: Normal
            note: synced the settings
            action: Sync
            eventTime: "2026-12-06T10:00:00.123456Z"
            reportingController: sluice.dev/agent
            reportingInstance: host-1_42
            """
        try await fixture.kubectl(["create", "-f", "-"], input: event)

        // The core view: the same object under the core names.
        let core = try await fixture.getJSON("events", "settings.18f0a1b2c3d4e5f6")
        #expect(core.apiVersion == "v1")
        #expect(core[path: ["involvedObject", "uid"]]?.stringValue == uid)
        #expect(core["message"] == "synced the settings")
        #expect(core["reportingComponent"] == "sluice.dev/agent")
        #expect(core["reportingInstance"] == "host-1_42")
        #expect(core["eventTime"] == "2026-12-06T10:00:00.123456Z")
        #expect(core["note"] == nil && core["regarding"] == nil)
        let listed = try await fixture.kubectl("get", "events")
        #expect(listed.output.contains("configmap/settings") && listed.output.contains("synced the settings"), "\(listed.output)")
        #expect(!listed.output.contains("<unknown>"), "LAST SEEN comes from eventTime: \(listed.output)")
        let described = try await fixture.kubectl("describe", "configmap", "settings")
        #expect(described.output.contains("SyncSucceeded") && described.output.contains("synced the settings"), "\(described.output)")

        // The events.k8s.io view of it, and of an Event written through core v1.
        let v1 = try await fixture.getJSON("events.events.k8s.io", "settings.18f0a1b2c3d4e5f6")
        #expect(v1.apiVersion == "events.k8s.io/v1")
        #expect(v1["note"] == "synced the settings" && v1["message"] == nil)
        #expect(v1["reportingController"] == "sluice.dev/agent" && v1["reportingComponent"] == nil)
        let legacy = """
            apiVersion: v1
            kind: Event
            metadata: {name: settings.2}
            involvedObject: {apiVersion: v1, kind: ConfigMap, name: settings, namespace: default, uid: \(uid)}
            reason: Changed
            type: Warning
            message: changed by hand
            source: {component: kubectl}
            firstTimestamp: "2026-12-06T10:00:00Z"
            lastTimestamp: "2026-12-06T10:00:05Z"
            count: 2
            """
        try await fixture.kubectl(["create", "-f", "-"], input: legacy)
        let converted = try await fixture.getJSON("events.events.k8s.io", "settings.2")
        #expect(converted["note"] == "changed by hand")
        #expect(converted[path: ["regarding", "name"]] == "settings")
        #expect(converted[path: ["deprecatedSource", "component"]] == "kubectl")
        #expect(converted["deprecatedCount"] == 2)
        #expect(converted["deprecatedLastTimestamp"] == "2026-12-06T10:00:05Z")
        let all = try await fixture.getJSON("events.events.k8s.io")
        #expect(Set((all["items"]?.arrayValue ?? []).compactMap(\.name)) == ["settings.18f0a1b2c3d4e5f6", "settings.2"])

        // One object: deleting it through one view removes it from the other.
        try await fixture.kubectl("delete", "events.events.k8s.io", "settings.2")
        let gone = try await fixture.kubectl(["get", "events", "settings.2"], check: false)
        #expect(gone.exitCode != 0)
    }
}
