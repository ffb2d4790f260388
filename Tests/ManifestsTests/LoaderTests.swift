import Foundation
import KubeModel
import Manifests
import Testing
import TestSupport

@Suite struct LoaderTests {
    @Test func filesAreReadRecursivelyInByteOrderOfTheirPaths() throws {
        let set = try Fixtures.load([
            "b.yaml": Fixtures.configMap("b"),
            "a/z.yml": Fixtures.configMap("a-z"),
            "a/b/c.json": #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a-b-c"}}"#,
            "B.yaml": Fixtures.configMap("upper-b"),
            "a.yaml": Fixtures.configMap("a"),
            "README.md": "# not a manifest",
            "notes.txt": "kind: nothing",
        ])
        // Byte order: upper case before lower case, and `.` (0x2E) before `/` (0x2F).
        #expect(set.names == ["upper-b", "a", "a-b-c", "a-z", "b"])
        #expect(set.manifests.map(\.file) == ["B.yaml", "a.yaml", "a/b/c.json", "a/z.yml", "b.yaml"])
    }

    @Test func hiddenFilesAndDirectoriesAreNotRead() throws {
        let set = try Fixtures.load([
            ".github/workflows/ci.yaml": "on: push\njobs: {}\n",
            ".hidden.yaml": "not: a manifest\n",
            "app.yaml": Fixtures.configMap("app"),
        ])
        #expect(set.names == ["app"])
    }

    @Test func multiDocumentFilesGiveEveryObjectAndSkipEmptyDocuments() throws {
        let text = """
            # leading comment
            ---
            \(Fixtures.configMap("one"))---
            ---
            # only a comment
            ---
            \(Fixtures.configMap("two"))
            ...
            ---
            \(Fixtures.configMap("three"))---

            """
        let set = try Fixtures.load(["all.yaml": text])
        #expect(set.names == ["one", "two", "three"])
        #expect(set.manifests.map(\.document) == [1, 4, 5])
    }

    @Test func listsAreFlattenedIntoTheirItems() throws {
        let text = """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: ConfigMap
              metadata: {name: first}
            - apiVersion: v1
              kind: ConfigMapList
              items:
              - {apiVersion: v1, kind: ConfigMap, metadata: {name: nested}}
            - apiVersion: v1
              kind: Secret
              metadata: {name: second}
            """
        let set = try Fixtures.load(["list.yaml": text])
        #expect(set.names == ["first", "nested", "second"])
        #expect(set.manifests.allSatisfy { $0.document == 1 })
    }

    @Test func jsonFilesAreReadAsOneObject() throws {
        let set = try Fixtures.load([
            "deploy.json": #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},"spec":{"replicas":3}}"#
        ])
        let manifest = try #require(set.manifests.first)
        #expect(manifest.identity == ObjectIdentity(group: "apps", kind: "Deployment", namespace: "shop", name: "web"))
        #expect(manifest.object[path: ["spec", "replicas"]] == .int(3))
    }

    @Test func loadingFromMemoryGivesTheSameObjectsAsFromDisk() throws {
        let files = [
            "z.yaml": Fixtures.configMap("z") + "---\n" + Fixtures.configMap("why"),
            "dir/a.yaml": Fixtures.configMap("a", namespace: "team"),
            "skip.txt": "ignored",
        ]
        let fromDisk = try Fixtures.load(files)
        let fromMemory = try ManifestLoader.load(files: files.map { ManifestFile(path: $0.key, text: $0.value) })
        #expect(fromDisk == fromMemory)
        #expect(fromDisk.names == ["a", "z", "why"])
    }

    @Test func aPathToOneFileLoadsThatFile() throws {
        let directory = try TemporaryDirectory(label: "manifests")
        try Fixtures.write(["only.yaml": Fixtures.configMap("only"), "other.yaml": Fixtures.configMap("other")], in: directory)
        let set = try ManifestLoader.load(directory: directory.appending("only.yaml"))
        #expect(set.names == ["only"])
        #expect(set.manifests.first?.file == "only.yaml")
    }

    @Test func aMissingDirectoryIsRefused() throws {
        let directory = try TemporaryDirectory(label: "manifests")
        #expect(throws: ManifestError.self) { try ManifestLoader.load(directory: directory.appending("missing")) }
    }

    @Test func loadingIsDeterministic() throws {
        var files: [String: String] = [:]
        for index in 0..<40 { files["d\(index % 5)/f\(index).yaml"] = Fixtures.configMap("cm-\(index)", annotations: ["b": "2", "a": "1"]) }
        let first = try Fixtures.load(files)
        let second = try Fixtures.load(files)
        #expect(first == second)
        #expect(first.canonicalJSON == second.canonicalJSON)
        #expect(first.canonicalYAML == second.canonicalYAML)
    }

    @Test func theSetsCanonicalFormsDoNotDependOnWhichFileHoldsAnObject() throws {
        let together = try Fixtures.load(["all.yaml": Fixtures.configMap("b") + "---\n" + Fixtures.configMap("a")])
        let apart = try Fixtures.load(["x/1.yaml": Fixtures.configMap("b"), "0.yaml": Fixtures.configMap("a")])
        #expect(together.names != apart.names)
        #expect(together.canonicalJSON == apart.canonicalJSON)
        #expect(together.canonicalJSON.hasPrefix(#"[{"apiVersion":"v1","data":{"key":"value"},"kind":"ConfigMap","metadata":{"name":"a"}}"#))
    }

    @Test func theDefaultNamespaceFillsTheIdentityOfNamespacedObjectsOnly() throws {
        let crds = """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: clusterthings.example.com}
            spec: {group: example.com, scope: Cluster, names: {kind: ClusterThing, plural: clusterthings}}
            ---
            apiVersion: example.com/v1
            kind: ClusterThing
            metadata: {name: global}
            ---
            apiVersion: example.com/v1
            kind: Widget
            metadata: {name: local}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: team}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: reader}
            """
        let set = try Fixtures.load(
            ["a.yaml": crds, "b.yaml": Fixtures.configMap("plain") + "---\n" + Fixtures.configMap("placed", namespace: "elsewhere")],
            options: LoadOptions(defaultNamespace: "apps"))
        #expect(
            set.manifests.map(\.identity.description) == [
                "apiextensions.k8s.io/CustomResourceDefinition//clusterthings.example.com",
                "example.com/ClusterThing//global",
                "example.com/Widget/apps/local",
                "/Namespace//team",
                "rbac.authorization.k8s.io/ClusterRole//reader",
                "/ConfigMap/apps/plain",
                "/ConfigMap/elsewhere/placed",
            ])
        // The object itself is left as written.
        #expect(set.manifests[5].object.namespace == nil)
    }

    @Test func identitiesReadBackFromTheirText() {
        let identity = ObjectIdentity(group: "", kind: "ConfigMap", namespace: "default", name: "settings")
        #expect(identity.description == "/ConfigMap/default/settings")
        #expect(ObjectIdentity("/ConfigMap/default/settings") == identity)
        #expect(ObjectIdentity("apps/Deployment") == nil)
    }

    @Test func yamlMergeKeysAndAliasesWithinTheLimitAreExpanded() throws {
        let text = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: merged
              labels: &labels {app: web, tier: front}
              annotations:
                <<: *labels
                tier: back
            data: {copy: &text hello, again: *text}
            """
        let manifest = try #require(try Fixtures.load(["m.yaml": text]).manifests.first)
        #expect(manifest.object.labels == ["app": "web", "tier": "front"])
        #expect(manifest.object.annotations == ["app": "web", "tier": "back"])
        #expect(manifest.object["data"] == ["copy": "hello", "again": "hello"])
    }

    @Test func hooksAreLoadedWithTheirSettingsAndMayUseGenerateName() throws {
        let text = """
            apiVersion: batch/v1
            kind: Job
            metadata:
              generateName: migrate-
              annotations:
                argocd.argoproj.io/hook: PreSync
                argocd.argoproj.io/hook-delete-policy: HookSucceeded
                argocd.argoproj.io/sync-wave: "-1"
                sluice.dev/hook-timeout: 10m
            spec: {template: {spec: {restartPolicy: Never, containers: [{name: m, image: busybox}]}}}
            """
        let manifest = try #require(try Fixtures.load(["hook.yaml": text], options: LoadOptions(defaultNamespace: "db")).manifests.first)
        #expect(manifest.identity == ObjectIdentity(group: "batch", kind: "Job", namespace: "db", name: "migrate-"))
        #expect(manifest.settings.hookPhases == [.preSync])
        #expect(manifest.settings.deletePolicies == [.hookSucceeded])
        #expect(manifest.settings.wave == -1)
        #expect(manifest.settings.hookTimeout == .seconds(600))
    }

    @Test("a hook with neither name nor generateName loads (its name is derived per sync); a normal object without a name is refused naming file, document and field")
    func onlyHooksMayHaveNoName() throws {
        let hook = """
            apiVersion: batch/v1
            kind: Job
            metadata:
              annotations: {argocd.argoproj.io/hook: PreSync}
            spec: {template: {spec: {restartPolicy: Never, containers: [{name: m, image: busybox}]}}}
            """
        let manifest = try #require(try Fixtures.load(["hook.yaml": hook], options: LoadOptions(defaultNamespace: "db")).manifests.first)
        #expect(manifest.identity == ObjectIdentity(group: "batch", kind: "Job", namespace: "db", name: ""))
        #expect(manifest.settings.isHook)

        let error = try #require(Fixtures.loadError(["hook.yaml": hook, "plain.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {labels: {a: b}}\n"]))
        #expect(error.description == "plain.yaml (document 1): metadata.name: missing")

        let twice = try #require(Fixtures.loadError(["hook.yaml": hook + "\n---\n" + hook]))
        #expect(twice.problems.count == 1)
        #expect(twice.description.contains("hook.yaml (document 2)"), "\(twice)")
        #expect(twice.description.contains("give one a name or a generateName"), "\(twice)")
    }
}
