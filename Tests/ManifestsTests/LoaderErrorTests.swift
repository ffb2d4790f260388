import Manifests
import Testing

/// One row of the bad-input table: the files, and the problem the load must report.
struct BadInputCase: Sendable, CustomTestStringConvertible {
    let name: String
    let files: [String: String]
    let file: String
    let document: Int?
    let field: String?
    let code: ManifestError.Problem.Code

    init(_ name: String, _ files: [String: String], file: String, document: Int?, field: String?, code: ManifestError.Problem.Code) {
        self.name = name
        self.files = files
        self.file = file
        self.document = document
        self.field = field
        self.code = code
    }

    var testDescription: String { name }
}

@Suite struct LoaderErrorTests {
    static let good = Fixtures.configMap("good")

    static let cases: [BadInputCase] = [
        BadInputCase(
            "invalid YAML", ["bad.yaml": good + "---\nkind: [unclosed\n"], file: "bad.yaml", document: 2, field: nil, code: .invalidYAML),
        BadInputCase("invalid JSON", ["bad.json": #"{"kind": }"#], file: "bad.json", document: 1, field: nil, code: .invalidJSON),
        BadInputCase(
            "missing kind", ["x.yaml": "apiVersion: v1\nmetadata: {name: a}\n"], file: "x.yaml", document: 1, field: "kind",
            code: .invalidObject),
        BadInputCase(
            "missing apiVersion", ["x.yaml": "kind: ConfigMap\nmetadata: {name: a}\n"], file: "x.yaml", document: 1, field: "apiVersion",
            code: .invalidObject),
        BadInputCase(
            "malformed apiVersion", ["x.yaml": "apiVersion: a/b/c\nkind: ConfigMap\nmetadata: {name: a}\n"], file: "x.yaml", document: 1,
            field: "apiVersion", code: .invalidObject),
        BadInputCase(
            "missing name", ["x.yaml": good + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {labels: {a: b}}\n"], file: "x.yaml",
            document: 2, field: "metadata.name", code: .invalidObject),
        BadInputCase(
            "missing metadata", ["x.yaml": "apiVersion: v1\nkind: ConfigMap\n"], file: "x.yaml", document: 1, field: "metadata.name",
            code: .invalidObject),
        BadInputCase(
            "generateName on a normal object", ["x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: cm-}\n"],
            file: "x.yaml", document: 1, field: "metadata.name", code: .invalidObject),
        BadInputCase(
            "generateName on a skipped object",
            ["x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: cm-, annotations: {argocd.argoproj.io/hook: Skip}}\n"],
            file: "x.yaml", document: 1, field: "metadata.name", code: .invalidObject),
        BadInputCase(
            "a list item without a kind", ["l.yaml": "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, metadata: {name: a}}\n"],
            file: "l.yaml", document: 1, field: "items[0].kind", code: .invalidObject),
        BadInputCase(
            "a scalar document", ["s.yaml": good + "---\njust text\n"], file: "s.yaml", document: 2, field: nil, code: .invalidObject),
        BadInputCase(
            "an unquoted number as an annotation",
            ["x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {argocd.argoproj.io/sync-wave: 5}\n"],
            file: "x.yaml", document: 1, field: "metadata.annotations[argocd.argoproj.io/sync-wave]", code: .invalidObject),
        BadInputCase(
            "a label that is a boolean", ["x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {enabled: yes}\n"],
            file: "x.yaml", document: 1, field: "metadata.labels.enabled", code: .invalidObject),
        BadInputCase(
            "an unusable hook timeout",
            ["x.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  annotations: {sluice.dev/hook-timeout: soon}\n"],
            file: "x.yaml", document: 1, field: "metadata.annotations[sluice.dev/hook-timeout]", code: .invalidAnnotation),
        BadInputCase(
            "the same object in two files", ["a.yaml": good, "b/c.yaml": good], file: "b/c.yaml", document: 1, field: "metadata.name",
            code: .duplicateObject),
        BadInputCase(
            "the same object twice in a file, once with an explicit default namespace",
            ["a.yaml": good + "---\n" + Fixtures.configMap("good", namespace: "apps")], file: "a.yaml", document: 2,
            field: "metadata.name", code: .duplicateObject),
        BadInputCase(
            "a duplicated mapping key", ["x.yaml": "apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata: {name: a}\n"], file: "x.yaml",
            document: 1, field: nil, code: .invalidYAML),
        BadInputCase(
            "an undefined alias", ["x.yaml": "apiVersion: v1\nkind: *nothing\nmetadata: {name: a}\n"], file: "x.yaml", document: 1,
            field: nil, code: .invalidYAML),
        BadInputCase(
            "a mapping as a key", ["x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  ? {a: b}\n  : c\n"],
            file: "x.yaml", document: 1, field: "data", code: .invalidObject),
        BadInputCase(
            "a name YAML reads as a boolean", ["x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\n"], file: "x.yaml",
            document: 1, field: "metadata.name", code: .invalidObject),
        BadInputCase(
            "not UTF-8", ["x.yaml": "apiVersion: v1\n"], file: "x.yaml", document: nil, field: nil, code: .invalidYAML),
    ]

    @Test(arguments: cases)
    func badInputIsRefusedNamingTheFileDocumentAndField(_ example: BadInputCase) throws {
        var files = example.files.map { ManifestFile(path: $0.key, text: $0.value) }
        if example.name == "not UTF-8" { files = [ManifestFile(path: "x.yaml", bytes: Array("apiVersion: v1\n".utf8) + [0xFF, 0xFE])] }
        let error = try #require(throws: ManifestError.self) { try ManifestLoader.load(files: files, options: LoadOptions(defaultNamespace: "apps")) }
        let problem = try #require(error.problems.first, "\(error)")
        #expect(error.problems.count == 1, "\(error)")
        #expect(problem.file == example.file)
        #expect(problem.document == example.document)
        #expect(problem.field == example.field, "\(problem)")
        #expect(problem.code == example.code, "\(problem)")
    }

    @Test func everyProblemOfARevisionIsReportedAtOnceOnePerLine() throws {
        let error = try #require(
            Fixtures.loadError([
                "a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n---\napiVersion: v1\nmetadata: {name: x}\n",
                "b.yaml": "key: [unclosed\n",
                "c.yaml": Fixtures.configMap("fine"),
                "d.yaml": Fixtures.configMap("fine"),
            ]))
        #expect(
            error.description == """
                a.yaml (document 1): metadata.name: missing
                a.yaml (document 2): kind: missing
                b.yaml (document 1): invalid YAML: did not find expected ',' or ']' at line 2, column 1 (while parsing a flow sequence at line 1, column 6)
                d.yaml (document 1): metadata.name: /ConfigMap//fine is already defined in c.yaml (document 1); an object may appear only once
                """)
    }

    @Test func aDuplicateNamesWhereTheFirstCopyIs() throws {
        let error = try #require(Fixtures.loadError(["one.yaml": Fixtures.configMap("x"), "two.yaml": Fixtures.configMap("x")]))
        #expect(error.problems.first?.message.contains("one.yaml (document 1)") == true)
    }

    @Test func objectsOfDifferentKindsOrNamespacesMayShareAName() throws {
        let set = try Fixtures.load([
            "a.yaml": Fixtures.configMap("same") + "---\n" + Fixtures.configMap("same", namespace: "other"),
            "b.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: same}\n",
        ])
        #expect(set.count == 3)
    }

    @Test func anUnparsableFileDoesNotHideProblemsInOtherFiles() throws {
        let error = try #require(Fixtures.loadError(["a.yaml": "::: [", "b.yaml": "apiVersion: v1\nkind: ConfigMap\n"]))
        #expect(error.problems.map(\.file) == ["a.yaml", "b.yaml"])
    }

    @Test func pathsOutsideTheApplicationAreRefused() throws {
        let error = try #require(Fixtures.loadError(["../escape.yaml": Fixtures.configMap("x")]))
        #expect(error.problems.first?.code == .unreadable)
    }
}
