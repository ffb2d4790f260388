import Delivery
import Foundation
import KubeClient
import KubeModel
import Ledger
import SyncEngine
import Testing

/// Objects that already hold what a sync would send, as Sluice last applied it, are left alone: a
/// sync of a whole revision (a person's, a drift check) costs what changed, not what exists.
@Suite("Objects in place are not sent again", .timeLimit(.minutes(8)))
struct InPlaceTests {
    static let gvk = GroupVersionKind(group: "", version: "v1", kind: "ConfigMap")

    @Test("a manual sync sends only the object that drifted and puts it back; the others keep their resourceVersion and get no task")
    func manualSyncSendsOnlyWhatDrifted() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/a.yaml": YAML.configMap("a", data: "k: \"1\""), "app/b.yaml": YAML.configMap("b", data: "k: \"1\""),
                "app/c.yaml": YAML.configMap("c", data: "k: \"1\""),
            ])
            #expect(try await fixture.sync().outcome == .succeeded)
            let before = try await Self.versions(fixture, ["a", "b", "c"])
            let appliedB = try #require(try await fixture.live("v1", "ConfigMap", "b"))
            #expect(appliedB.annotations[Tracking.digestAnnotation]?.count == 64, "every applied object carries its digest")

            // Someone else changes one of b's values.
            var edited = appliedB
            edited[path: ["data", "k"]] = "2"
            _ = try await fixture.client.replace(edited)

            let result = try await fixture.sync(trigger: .manual)
            #expect(result.outcome == .succeeded, "\(result.message)")
            let detail = try await fixture.detail(result)
            #expect(taskLines(detail) == ["Sync/0 ConfigMap b configured Succeeded"])
            #expect(detail.changes.configured.map(\.name) == ["b"])
            #expect(Set(detail.changes.unchanged.map(\.name)) == ["a", "c"])
            #expect(try await fixture.live("v1", "ConfigMap", "b")?[path: ["data", "k"]] == "1", "the drifted value was put back")
            let after = try await Self.versions(fixture, ["a", "c"])
            #expect(after["a"] == before["a"] && after["c"] == before["c"], "objects in place were not written: \(before) → \(after)")

            // --full sends every object again, as it says.
            let full = try await fixture.sync(trigger: .manual) { $0.full = true }
            #expect(full.outcome == .succeeded)
            #expect(try await fixture.detail(full).tasks.count == 3)
        }
    }

    @Test("an object holding every field of the manifest is sent anyway when Sluice last applied something else to it (a field to remove)")
    func objectLastAppliedFromAnotherRevisionIsSent() async throws {
        try await SyncFixture.with { fixture in
            let first = try fixture.push(["app/a.yaml": YAML.configMap("a", data: "k: \"1\"")])
            #expect(try await fixture.sync().outcome == .succeeded)
            try fixture.push(["app/a.yaml": YAML.configMap("a", data: "k: \"1\"\n  extra: \"2\"")])
            #expect(try await fixture.sync().outcome == .succeeded)
            #expect(try await fixture.live("v1", "ConfigMap", "a")?[path: ["data", "extra"]] == "2")

            // The live object contains everything the first revision's manifest says, but its digest
            // is the second's: applying the first removes `extra`, so it must be sent.
            let back = try await fixture.sync(trigger: .manual, revision: first)
            #expect(back.outcome == .succeeded, "\(back.message)")
            #expect(taskLines(try await fixture.detail(back)) == ["Sync/0 ConfigMap a configured Succeeded"])
            #expect(try await fixture.live("v1", "ConfigMap", "a")?[path: ["data", "extra"]] == nil)
        }
    }

    @Test("a drift check reads objects in place without a dry run, finds the one someone changed, and does not count a missing digest as drift")
    func driftCheck() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push(["app/a.yaml": YAML.configMap("a", data: "k: \"1\""), "app/b.yaml": YAML.configMap("b", data: "k: \"1\"")])
            #expect(try await fixture.sync().outcome == .succeeded)
            let application = ApplicationSync(
                source: try fixture.source(), runner: SyncRunner(client: fixture.client, recorder: fixture.ledger, configuration: fixture.configuration()),
                ledger: fixture.ledger)
            #expect(try await application.checkDrift()?.drifted == [])

            // An object applied before Sluice kept digests: not drift (a dry run finds it equal).
            var undigested = try #require(try await fixture.live("v1", "ConfigMap", "a"))
            var annotations = undigested.annotations
            annotations[Tracking.digestAnnotation] = nil
            undigested.annotations = annotations
            _ = try await fixture.client.replace(undigested)
            #expect(try await fixture.live("v1", "ConfigMap", "a")?.annotations[Tracking.digestAnnotation] == nil)
            #expect(try await application.checkDrift()?.drifted == [])

            var edited = try #require(try await fixture.live("v1", "ConfigMap", "b"))
            edited[path: ["data", "k"]] = "2"
            _ = try await fixture.client.replace(edited)
            #expect(try await application.checkDrift()?.drifted.map(\.name) == ["b"])
        }
    }

    static func versions(_ fixture: SyncFixture, _ names: [String]) async throws -> [String: String] {
        var versions: [String: String] = [:]
        for name in names {
            versions[name] = try await fixture.live("v1", "ConfigMap", name)?.resourceVersion
        }
        return versions
    }
}
