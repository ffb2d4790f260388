import KubeModel
import Manifests
import Testing

@Suite struct ManifestDiffTests {
    static func set(_ files: [String: String]) throws -> ManifestSet {
        try ManifestLoader.load(files: files.map { ManifestFile(path: $0.key, text: $0.value) }, options: LoadOptions(defaultNamespace: "default"))
    }

    @Test func objectsAreSortedIntoCreatedChangedUnchangedAndRemoved() throws {
        let old = try Self.set([
            "a.yaml": Fixtures.configMap("kept") + "---\n" + Fixtures.configMap("edited", data: "one"),
            "b.yaml": Fixtures.configMap("dropped"),
        ])
        let new = try Self.set([
            // Moving an object to another file is no change.
            "moved/x.yaml": Fixtures.configMap("kept"),
            "a.yaml": Fixtures.configMap("edited", data: "two") + "---\n" + Fixtures.configMap("added"),
        ])
        let diff = ManifestDiff.between(old, new)
        #expect(diff.created.map(\.identity.name) == ["added"])
        #expect(diff.changed.map(\.identity.name) == ["edited"])
        #expect(diff.unchanged.map(\.identity.name) == ["kept"])
        #expect(diff.removed.map(\.identity.name) == ["dropped"])
        #expect(!diff.isEmpty)
        #expect(ManifestDiff.between(new, new).isEmpty)
        #expect(ManifestDiff.between(new, new).unchanged.count == new.count)
    }

    @Test func aChangedObjectHasAReadableUnifiedDiffOfItsYAML() throws {
        let old = try Self.set(["d.yaml": Self.deployment(replicas: 2, image: "nginx:1.26")])
        let new = try Self.set(["d.yaml": Self.deployment(replicas: 3, image: "nginx:1.27")])
        let change = try #require(ManifestDiff.between(old, new).changed.first)
        #expect(change.identity.description == "apps/Deployment/default/web")
        #expect(
            change.unifiedDiff == """
                --- apps/Deployment/default/web
                +++ apps/Deployment/default/web
                @@ -5,7 +5,7 @@
                     app: web
                   name: web
                 spec:
                -  replicas: 2
                +  replicas: 3
                   template:
                     spec:
                       containers:
                @@ -14,5 +14,5 @@
                           value: "1"
                         - name: B
                           value: "2"
                -        image: nginx:1.26
                +        image: nginx:1.27
                         name: web

                """)
    }

    @Test func theWholeDiffShowsCreatedAndRemovedObjectsAgainstNothing() throws {
        let old = try Self.set(["a.yaml": Fixtures.configMap("gone")])
        let new = try Self.set(["a.yaml": Fixtures.configMap("new")])
        #expect(
            ManifestDiff.between(old, new).unifiedDiff == """
                --- /ConfigMap/default/gone
                +++ /dev/null
                @@ -1,6 +0,0 @@
                -apiVersion: v1
                -data:
                -  key: value
                -kind: ConfigMap
                -metadata:
                -  name: gone
                --- /dev/null
                +++ /ConfigMap/default/new
                @@ -0,0 +1,6 @@
                +apiVersion: v1
                +data:
                +  key: value
                +kind: ConfigMap
                +metadata:
                +  name: new

                """)
    }

    static func deployment(replicas: Int, image: String) -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, labels: {app: web}}
        spec:
          replicas: \(replicas)
          template:
            spec:
              containers:
              - name: web
                env: [{name: A, value: "1"}, {name: B, value: "2"}]
                image: \(image)
        """
    }
}

/// Unified diffs of plain texts.
@Suite struct UnifiedDiffTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let old: String
        let new: String
        let expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "equal texts", old: "a\nb\n", new: "a\nb\n", expected: ""),
        Case(
            name: "one line changed in the middle", old: "1\n2\n3\n4\n5\n6\n7\n8\n9\n", new: "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
            expected: "--- old\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"),
        Case(
            name: "insertion at the start", old: "b\nc\n", new: "a\nb\nc\n",
            expected: "--- old\n+++ new\n@@ -1,2 +1,3 @@\n+a\n b\n c\n"),
        Case(
            name: "deletion at the end", old: "a\nb\nc\n", new: "a\nb\n",
            expected: "--- old\n+++ new\n@@ -1,3 +1,2 @@\n a\n b\n-c\n"),
        Case(
            name: "changes far apart make two hunks",
            old: (1...20).map(String.init).joined(separator: "\n") + "\n",
            new: (1...20).map { $0 == 2 ? "two" : $0 == 19 ? "nineteen" : String($0) }.joined(separator: "\n") + "\n",
            expected: "--- old\n+++ new\n@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n@@ -16,5 +16,5 @@\n 16\n 17\n 18\n-19\n+nineteen\n 20\n"),
        Case(
            name: "changes six lines apart share a hunk",
            old: "1\n2\n3\n4\n5\n6\n7\n8\n9\n", new: "one\n2\n3\n4\n5\n6\n7\neight\n9\n",
            expected: "--- old\n+++ new\n@@ -1,9 +1,9 @@\n-1\n+one\n 2\n 3\n 4\n 5\n 6\n 7\n-8\n+eight\n 9\n"),
        Case(
            name: "a missing final newline is marked", old: "a\nb", new: "a\nc",
            expected: "--- old\n+++ new\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"),
        Case(
            name: "a shortest script: three deletions and two insertions (Myers' paper example)",
            old: "a\nb\nc\na\nb\nb\na\n", new: "c\nb\na\nb\na\nc\n",
            expected: "--- old\n+++ new\n@@ -1,7 +1,6 @@\n-a\n+c\n b\n-c\n a\n b\n-b\n a\n+c\n"),
    ]

    @Test(arguments: cases)
    func unifiedDiffsMatchWhatDiffDashUPrints(_ example: Case) {
        #expect(UnifiedDiff.make(old: example.old, new: example.new, oldLabel: "old", newLabel: "new") == example.expected)
    }

    @Test func largeTextsWithScatteredChangesDiffQuicklyAndApplyBack() {
        let old = (0..<5_000).map { "line \($0)" }
        var new = old
        for index in stride(from: 7, to: 5_000, by: 97) { new[index] = "changed \(index)" }
        new.insert("inserted", at: 2_500)
        new.removeLast(3)
        let diff = UnifiedDiff.make(old: old.joined(separator: "\n") + "\n", new: new.joined(separator: "\n") + "\n", oldLabel: "a", newLabel: "b")
        let removed = diff.split(separator: "\n").filter { $0.hasPrefix("-") && !$0.hasPrefix("---") }.count
        let added = diff.split(separator: "\n").filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") }.count
        #expect(removed == 52 + 3)
        #expect(added == 52 + 1)
    }
}
