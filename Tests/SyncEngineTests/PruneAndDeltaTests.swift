import Foundation
import KubeModel
import Ledger
import SyncEngine
import Testing

/// Pruning, delta apply, validation before anything is applied, dependencies (CRDs, namespaces), and
/// the Replace and Force options, end to end.
@Suite("Prune and delta apply, end to end", .timeLimit(.minutes(8)))
struct PruneAndDeltaTests {
    static let options = "argocd.argoproj.io/sync-options"
    static let wave = "argocd.argoproj.io/sync-wave"
    static let configMapKind = GroupVersionKind(group: "", version: "v1", kind: "ConfigMap")

    // MARK: Prune

    @Test("an object removed from Git is pruned, with a pruned task and change, and leaves the inventory")
    func removedObjectIsPruned() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push(["app/a.yaml": YAML.configMap("a"), "app/b.yaml": YAML.configMap("b")])
            let first = try await fixture.sync()
            #expect(first.outcome == .succeeded, "\(first.message)")
            #expect(try await fixture.names("v1", "ConfigMap") == ["a", "b"])

            try fixture.push(["app/b.yaml": nil])
            let second = try await fixture.sync()
            #expect(second.outcome == .succeeded, "\(second.message)")
            #expect(try await fixture.names("v1", "ConfigMap") == ["a"])
            let detail = try await fixture.detail(second)
            #expect(taskLines(detail) == ["Sync/0 ConfigMap b pruned Succeeded"])
            #expect(detail.changes.pruned.map(\.description) == ["/ConfigMap/default/b"])
            #expect(detail.changes.unchanged.map(\.description) == ["/ConfigMap/default/a"])
            let inventory = try #require(try await fixture.inventory())
            #expect(inventory.objects.map(\.description) == ["/ConfigMap/default/a"])
        }
    }

    @Test("an object whose live annotation says Prune=false is kept when Git drops it")
    func pruneFalseIsKept() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push(["app/a.yaml": YAML.configMap("a"), "app/b.yaml": YAML.configMap("b", annotations: [Self.options: "Prune=false"])])
            let first = try await fixture.sync()
            #expect(first.outcome == .succeeded, "\(first.message)")

            try fixture.push(["app/b.yaml": nil])
            let second = try await fixture.sync()
            #expect(second.outcome == .succeeded, "\(second.message)")
            #expect(try await fixture.names("v1", "ConfigMap") == ["a", "b"])
            let detail = try await fixture.detail(second)
            #expect(!taskLines(detail).contains { $0.contains("pruned") }, "\(taskLines(detail))")
            #expect(detail.changes.pruned.isEmpty)
        }
    }

    @Test("with pruning off, nothing is pruned")
    func pruningOffKeepsEverything() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push(["app/a.yaml": YAML.configMap("a"), "app/b.yaml": YAML.configMap("b"), "app/c.yaml": YAML.configMap("c")])
            let first = try await fixture.sync()
            #expect(first.outcome == .succeeded, "\(first.message)")

            try fixture.push(["app/b.yaml": nil, "app/c.yaml": nil])
            let second = try await fixture.sync { $0.prune = false }
            #expect(second.outcome == .succeeded, "\(second.message)")
            #expect(try await fixture.names("v1", "ConfigMap") == ["a", "b", "c"])
            let detail = try await fixture.detail(second)
            #expect(detail.tasks.isEmpty, "\(taskLines(detail))")
            #expect(detail.changes.pruned.isEmpty)
        }
    }

    @Test("a PruneLast object is pruned after the last Sync wave, the others in their mirrored wave")
    func pruneLastAfterLastWave() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/keep.yaml": YAML.configMap("keep"),
                "app/old.yaml": YAML.configMap("old"),
                "app/last.yaml": YAML.configMap("last", annotations: [Self.options: "PruneLast=true"]),
                "app/tail.yaml": YAML.configMap("tail", annotations: [Self.wave: "1"]),
            ])
            let first = try await fixture.sync()
            #expect(first.outcome == .succeeded, "\(first.message)")

            try fixture.push([
                "app/old.yaml": nil, "app/last.yaml": nil, "app/extra.yaml": YAML.configMap("extra", annotations: [Self.wave: "1"]),
            ])
            let second = try await fixture.sync()
            #expect(second.outcome == .succeeded, "\(second.message)")
            #expect(try await fixture.names("v1", "ConfigMap") == ["extra", "keep", "tail"])
            let detail = try await fixture.detail(second)
            #expect(taskLines(detail) == [
                "Sync/0 ConfigMap old pruned Succeeded",
                "Sync/1 ConfigMap extra created Succeeded",
                "Sync/2 ConfigMap last pruned Succeeded",
            ])
            let extra = try #require(task(detail, "extra"))
            let last = try #require(task(detail, "last", .pruned))
            #expect(try #require(extra.finishedAt) <= last.startedAt)
            #expect(detail.changes.pruned.map(\.description) == ["/ConfigMap/default/last", "/ConfigMap/default/old"])
        }
    }

    @Test(
        "a revision that removes every object fails at the emptied-revision guard, and prunes them only with allowEmpty",
        arguments: [false, true])
    func emptiedRevisionGuard(directoryRemoved: Bool) async throws {
        try await SyncFixture.with { fixture in
            try fixture.push(["app/a.yaml": YAML.configMap("a"), "app/b.yaml": YAML.configMap("b")])
            let first = try await fixture.sync()
            #expect(first.outcome == .succeeded, "\(first.message)")

            // Either the directory is left with a file that holds no object, or it is gone altogether.
            var removal: [String: String?] = ["app/a.yaml": nil, "app/b.yaml": nil]
            if !directoryRemoved { removal["app/README.md"] = "moved to another repository\n" }
            try fixture.push(removal)
            let refused = try await fixture.sync()
            #expect(refused.outcome == .failed)
            #expect(refused.error?.code == .emptyRevision)
            #expect(refused.message.contains("would prune all 2 objects"), "\(refused.message)")
            #expect(try await fixture.names("v1", "ConfigMap") == ["a", "b"])
            let refusedDetail = try await fixture.detail(refused)
            #expect(refusedDetail.tasks.isEmpty)
            #expect(refusedDetail.attempt.phaseReached == "Validate")

            let allowed = try await fixture.sync { $0.allowEmpty = true }
            #expect(allowed.outcome == .succeeded, "\(allowed.message)")
            #expect(try await fixture.names("v1", "ConfigMap").isEmpty)
            let detail = try await fixture.detail(allowed)
            #expect(detail.changes.pruned.map(\.description) == ["/ConfigMap/default/a", "/ConfigMap/default/b"])
            #expect(try #require(try await fixture.inventory()).objects.isEmpty)
        }
    }

    @Test("prune never touches an object whose tracking id now names another application")
    func pruneSkipsObjectsTakenOver() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push(["app/a.yaml": YAML.configMap("a"), "app/b.yaml": YAML.configMap("b")])
            let first = try await fixture.sync()
            #expect(first.outcome == .succeeded, "\(first.message)")
            let takenOver = "billing:/ConfigMap:default/b"
            _ = try await fixture.client.mergePatch(
                Self.configMapKind, namespace: "default", name: "b", patch: ["metadata": ["annotations": [Tracking.annotation: .string(takenOver)]]])

            try fixture.push(["app/b.yaml": nil])
            let second = try await fixture.sync()
            #expect(second.outcome == .succeeded, "\(second.message)")
            let b = try #require(try await fixture.live("v1", "ConfigMap", "b"))
            #expect(b.annotations[Tracking.annotation] == takenOver)
            let detail = try await fixture.detail(second)
            #expect(detail.tasks.isEmpty, "\(taskLines(detail))")
            #expect(detail.changes.pruned.isEmpty)
            #expect(try #require(try await fixture.inventory()).objects.map(\.description) == ["/ConfigMap/default/a"])
        }
    }

    // MARK: Delta apply

    @Test("after a first sync, a commit changing one object sends only that one, and an object deleted out of band is re-created")
    func deltaApply() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push(["app/a.yaml": YAML.configMap("a"), "app/b.yaml": YAML.configMap("b"), "app/c.yaml": YAML.configMap("c")])
            let first = try await fixture.sync()
            #expect(first.outcome == .succeeded, "\(first.message)")
            #expect(taskLines(try await fixture.detail(first)).sorted() == [
                "Sync/0 ConfigMap a created Succeeded", "Sync/0 ConfigMap b created Succeeded", "Sync/0 ConfigMap c created Succeeded",
            ])
            let versions = try await resourceVersions(fixture)

            try fixture.push(["app/b.yaml": YAML.configMap("b", data: "a: \"2\"")])
            let second = try await fixture.sync()
            #expect(second.outcome == .succeeded, "\(second.message)")
            let detail = try await fixture.detail(second)
            #expect(taskLines(detail) == ["Sync/0 ConfigMap b configured Succeeded"])
            #expect(detail.changes.configured.map(\.description) == ["/ConfigMap/default/b"])
            #expect(detail.changes.unchanged.map(\.description) == ["/ConfigMap/default/a", "/ConfigMap/default/c"])
            #expect(detail.changes.created.isEmpty)
            let after = try await resourceVersions(fixture)
            #expect(after["a"] == versions["a"])
            #expect(after["c"] == versions["c"])
            #expect(after["b"] != versions["b"])
            #expect(try await fixture.live("v1", "ConfigMap", "b")?[path: ["data", "a"]]?.stringValue == "2")

            // `a` is unchanged in Git but gone from the cluster: the next sync finds it missing and re-creates it.
            try await fixture.client.delete(Self.configMapKind, namespace: "default", name: "a")
            try fixture.push(["app/notes.md": "a change under the path that holds no object\n"])
            let third = try await fixture.sync()
            #expect(third.outcome == .succeeded, "\(third.message)")
            let thirdDetail = try await fixture.detail(third)
            #expect(taskLines(thirdDetail) == ["Sync/0 ConfigMap a created Succeeded"])
            #expect(thirdDetail.changes.created.map(\.description) == ["/ConfigMap/default/a"])
            #expect(thirdDetail.changes.unchanged.map(\.description) == ["/ConfigMap/default/b", "/ConfigMap/default/c"])
            #expect(try await fixture.names("v1", "ConfigMap") == ["a", "b", "c"])
        }
    }

    // MARK: Validation before anything is applied

    @Test("a file with invalid YAML fails the sync at Validate before anything is applied")
    func invalidYAMLAppliesNothing() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push(["app/settings.yaml": YAML.configMap("settings")])
            let first = try await fixture.sync()
            #expect(first.outcome == .succeeded, "\(first.message)")

            try fixture.push([
                "app/settings.yaml": YAML.configMap("settings", data: "a: \"2\""),
                "app/extra.yaml": YAML.configMap("extra"),
                "app/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n  key: [unclosed\n",
                "app/alert.yaml": YAML.job("alert", script: "echo paging", annotations: ["argocd.argoproj.io/hook": "SyncFail"]),
            ])
            let result = try await fixture.sync()
            #expect(result.outcome == .failed)
            #expect(result.message.contains("broken.yaml"), "\(result.message)")
            let detail = try await fixture.detail(result)
            #expect(detail.attempt.phaseReached == "Validate")
            #expect(detail.tasks.isEmpty)
            #expect(try await fixture.live("v1", "ConfigMap", "settings")?[path: ["data", "a"]]?.stringValue == "1")
            #expect(try await fixture.names("v1", "ConfigMap") == ["settings"])
            // Nothing changed, so no SyncFail hook ran.
            #expect(try await fixture.names("batch/v1", "Job").isEmpty)
        }
    }

    @Test("an object the server rejects in the dry run fails the sync with its file, object and message, and nothing is applied")
    func dryRunRejectionAppliesNothing() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push(["app/settings.yaml": YAML.configMap("settings")])
            let first = try await fixture.sync()
            #expect(first.outcome == .succeeded, "\(first.message)")

            try fixture.push([
                "app/settings.yaml": YAML.configMap("settings", data: "a: \"2\""),
                "app/extra.yaml": YAML.configMap("extra"),
                "app/bad-name.yaml": YAML.configMap("Bad_Name"),
                "app/alert.yaml": YAML.job("alert", script: "echo paging", annotations: ["argocd.argoproj.io/hook": "SyncFail"]),
            ])
            let result = try await fixture.sync()
            #expect(result.outcome == .failed)
            #expect(result.error?.code == .validationFailed)
            #expect(result.message.contains("nothing was applied"), "\(result.message)")
            #expect(result.message.contains("bad-name.yaml: ConfigMap default/Bad_Name:"), "\(result.message)")
            #expect(result.message.contains("RFC 1123 subdomain"), "\(result.message)")
            let detail = try await fixture.detail(result)
            #expect(detail.attempt.phaseReached == "Validate")
            #expect(taskLines(detail) == ["Sync/0 ConfigMap Bad_Name skipped Failed"])
            #expect(try await fixture.live("v1", "ConfigMap", "settings")?[path: ["data", "a"]]?.stringValue == "1")
            #expect(try await fixture.names("v1", "ConfigMap") == ["settings"])
            // Nothing changed, so no SyncFail hook ran.
            #expect(try await fixture.names("batch/v1", "Job").isEmpty)
        }
    }

    // MARK: Dependencies

    @Test("a CustomResourceDefinition and a custom resource of its kind in one commit: the definition is pulled forward and both are applied")
    func crdAndCustomResource() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/crd.yaml": Self.widgetDefinition(annotations: [Self.wave: "5"]),
                "app/widget.yaml": """
                    apiVersion: example.com/v1
                    kind: Widget
                    metadata:
                      name: gear
                    spec:
                      size: 3

                    """,
            ])
            let result = try await fixture.sync()
            #expect(result.outcome == .succeeded, "\(result.message)")
            let detail = try await fixture.detail(result)
            #expect(taskLines(detail) == [
                "Sync/0 CustomResourceDefinition widgets.example.com created Succeeded",
                "Sync/0 Widget gear created Succeeded",
            ])
            let widget = try #require(try await fixture.live("example.com/v1", "Widget", "gear"))
            #expect(widget[path: ["spec", "size"]]?.intValue == 3)
            #expect(try await fixture.live("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.example.com", namespace: "") != nil)
        }
    }

    @Test("a Namespace and the objects in it in one commit: the Namespace is pulled forward to before them")
    func namespacePulledForward() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push([
                "app/namespace.yaml": """
                    apiVersion: v1
                    kind: Namespace
                    metadata:
                      name: payments
                      annotations:
                        argocd.argoproj.io/sync-wave: "3"

                    """,
                "app/config.yaml": YAML.configMap("ledger", namespace: "payments"),
            ])
            let result = try await fixture.sync()
            #expect(result.outcome == .succeeded, "\(result.message)")
            let detail = try await fixture.detail(result)
            #expect(taskLines(detail) == ["Sync/0 Namespace payments created Succeeded", "Sync/0 ConfigMap ledger created Succeeded"])
            #expect(try await fixture.names("v1", "ConfigMap", namespace: "payments") == ["ledger"])
        }
    }

    @Test("CreateNamespace=true creates a missing namespace for the object")
    func createNamespace() async throws {
        try await SyncFixture.with { fixture in
            #expect(try await fixture.live("v1", "Namespace", "reports", namespace: "") == nil)
            try fixture.push(["app/config.yaml": YAML.configMap("daily", annotations: [Self.options: "CreateNamespace=true"], namespace: "reports")])
            let result = try await fixture.sync()
            #expect(result.outcome == .succeeded, "\(result.message)")
            #expect(try await fixture.live("v1", "Namespace", "reports", namespace: "") != nil)
            #expect(try await fixture.names("v1", "ConfigMap", namespace: "reports") == ["daily"])
        }
    }

    // MARK: Replace and Force

    @Test("Replace=true replaces the object with a PUT instead of applying it")
    func replaceOption() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push(["app/config.yaml": YAML.configMap("settings", data: "a: \"1\"", annotations: [Self.options: "Replace=true"])])
            let first = try await fixture.sync()
            #expect(first.outcome == .succeeded, "\(first.message)")
            let uid = try #require(try await fixture.live("v1", "ConfigMap", "settings")?.uid)

            try fixture.push(["app/config.yaml": YAML.configMap("settings", data: "b: \"2\"", annotations: [Self.options: "Replace=true"])])
            let second = try await fixture.sync()
            #expect(second.outcome == .succeeded, "\(second.message)")
            let live = try #require(try await fixture.live("v1", "ConfigMap", "settings"))
            #expect(live.uid == uid)
            // A replace sets the whole object: the key the new revision dropped is gone (no field manager keeps it).
            #expect(live["data"] == ["b": "2"])
            let operations = (live[path: ["metadata", "managedFields"]]?.arrayValue ?? []).compactMap { $0["operation"]?.stringValue }
            #expect(!operations.isEmpty)
            #expect(!operations.contains("Apply"), "\(operations)")
            #expect(taskLines(try await fixture.detail(second)) == ["Sync/0 ConfigMap settings configured Succeeded"])
        }
    }

    @Test("Force=true re-creates a Job whose template changed, which cannot be updated in place; without it the dry run rejects the change")
    func forceRecreatesImmutableJob() async throws {
        try await SyncFixture.with { fixture in
            try fixture.push(["app/job.yaml": YAML.job("reindex", script: "echo v1", annotations: [Self.options: "Force=true"])])
            let first = try await fixture.sync()
            #expect(first.outcome == .succeeded, "\(first.message)")
            let uid = try #require(try await fixture.live("batch/v1", "Job", "reindex")?.uid)

            try fixture.push(["app/job.yaml": YAML.job("reindex", script: "echo v2", annotations: [Self.options: "Force=true"])])
            let second = try await fixture.sync()
            #expect(second.outcome == .succeeded, "\(second.message)")
            let job = try #require(try await fixture.live("batch/v1", "Job", "reindex"))
            #expect(job.uid != uid)
            let command = job[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.first?["command"]?.arrayValue?.compactMap(\.stringValue)
            #expect(command == ["sh", "-c", "echo v2"])
            #expect(HookCompletion.of(job) == .succeeded)
            #expect(taskLines(try await fixture.detail(second)) == ["Sync/0 Job reindex configured Succeeded"])

            // The same change without Force: the server refuses to change the template, and the dry run says so.
            try fixture.push(["app/job.yaml": YAML.job("reindex", script: "echo v3")])
            let refused = try await fixture.sync()
            #expect(refused.outcome == .failed)
            #expect(refused.error?.code == .validationFailed)
            #expect(refused.message.contains("field is immutable"), "\(refused.message)")
            #expect(try await fixture.live("batch/v1", "Job", "reindex")?.uid == job.uid)
        }
    }

    // MARK: Helpers

    static func widgetDefinition(annotations: [String: String] = [:]) -> String {
        """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.example.com
        \(YAML.annotationBlock(annotations))spec:
          group: example.com
          scope: Namespaced
          names:
            plural: widgets
            singular: widget
            kind: Widget
          versions:
            - name: v1
              served: true
              storage: true
              schema:
                openAPIV3Schema:
                  type: object
                  x-kubernetes-preserve-unknown-fields: true

        """
    }

    /// The resourceVersion of each ConfigMap in `default`, by name (one list).
    func resourceVersions(_ fixture: SyncFixture) async throws -> [String: String] {
        let items = try await fixture.client.list(Self.configMapKind, namespace: "default").items
        return Dictionary(uniqueKeysWithValues: items.compactMap { item in item.name.map { ($0, item.resourceVersion ?? "") } })
    }
}
