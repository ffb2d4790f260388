import KubeModel
import Manifests
import Testing
import Yams

@Suite struct CanonicalYAMLTests {
    @Test func objectsAreWrittenInBlockStyleWithSortedKeys() throws {
        let object = try JSONValue.parse(
            #"""
            {"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","labels":{"tier":"front","app":"web"}},
             "spec":{"replicas":3,"ratio":0.5,"paused":false,"selector":{},"volumes":[],"nothing":null,
              "containers":[{"name":"web","image":"nginx:1.27","args":["-v","--port=80"],"env":[{"name":"A","value":"1"}]}],
              "matrix":[[1,2],[]]}}
            """#)
        #expect(
            object.canonicalYAML == """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  labels:
                    app: web
                    tier: front
                  name: web
                spec:
                  containers:
                  - args:
                    - "-v"
                    - "--port=80"
                    env:
                    - name: A
                      value: "1"
                    image: nginx:1.27
                    name: web
                  matrix:
                  - - 1
                    - 2
                  - []
                  nothing: null
                  paused: false
                  ratio: 0.5
                  replicas: 3
                  selector: {}
                  volumes: []

                """)
    }

    /// Strings that would read back as another type, or break the YAML, unless quoted.
    static let quotedStrings = [
        "true", "false", "True", "yes", "no", "on", "Off", "y", "N", "null", "Null", "~", "",
        "1", "1.0", "-5", "+5", "0x1F", "0o17", "017", "1e3", "1_000", ".5", ".inf", "-.Inf", ".NaN",
        "12:30", "1.2.3", "2024-01-31", "2001-12-14 21:59:43.10 -5", "<<", "=",
        "a: b", "a:", "x #y", "#comment", "- item", "-", "? key", ": value", "[list]", "{map}", "*alias", "&anchor",
        "!tag", "|block", ">folded", "'single'", "\"double\"", "%directive", "@at", "`tick", ",comma",
        " leading", "trailing ", "tab\there", "---", "...", "bell\u{7}", "nel\u{85}", "bom\u{FEFF}",
    ]

    @Test(arguments: quotedStrings)
    func stringsThatWouldBeReadAsSomethingElseAreQuoted(_ text: String) throws {
        let yaml = JSONValue.object(["value": .string(text)]).canonicalYAML
        #expect(yaml.hasPrefix("value: \""), "\(yaml)")
        #expect(try JSONValue.parseYAMLStream(yaml) == [["value": .string(text)]])
        // A YAML 1.2 reader (Yams' default) reads the same string too.
        #expect((try Yams.load(yaml: yaml) as? [String: Any])?["value"] as? String == text)
    }

    static let plainStrings = [
        "web", "nginx:1.27", "10Mi", "100m", "v1", "apps/v1", "http://example.com/a?b=c#d", "a b c", "0.0.0.0/0",
        "name-with-dashes", "under_score", "a,b", "x:y", "café", "日本語", "$(VAR)", "x.example.com",
    ]

    @Test(arguments: plainStrings)
    func ordinaryStringsStayPlain(_ text: String) throws {
        let yaml = JSONValue.object(["value": .string(text)]).canonicalYAML
        #expect(yaml == "value: \(text)\n")
        #expect(try JSONValue.parseYAMLStream(yaml) == [["value": .string(text)]])
    }

    static let multiLineStrings = [
        "line one\nline two", "line one\nline two\n", "ends with blanks\n\n\n", "indented\n  more\n\tand tab\n",
        "#!/bin/sh\nset -e\necho \"done: yes\"\n", "blank\n\nlines\n", "trailing space \nnext",
        "\nleading newline", "  leading spaces\nx", "only\n  \nspaces line", "carriage\r\nreturn", "\n",
    ]

    @Test(arguments: multiLineStrings)
    func multiLineStringsRoundTripExactly(_ text: String) throws {
        let value = JSONValue.object(["script": .string(text), "z": "after"])
        let yaml = value.canonicalYAML
        #expect(try JSONValue.parseYAMLStream(yaml) == [value], "\(yaml)")
    }

    @Test func multiLineTextBecomesALiteralBlock() {
        let value: JSONValue = ["data": ["run.sh": "#!/bin/sh\necho hi\n", "motd": "no newline\nat end"]]
        #expect(
            value.canonicalYAML == """
                data:
                  motd: |-
                    no newline
                    at end
                  run.sh: |
                    #!/bin/sh
                    echo hi

                """)
    }

    static let values: [JSONValue] = [
        // A whole float (3.0) reads back as the integer kubectl would send: not here.
        ["a": 1, "b": -2.5, "c": 3.25, "d": 1e20, "e": 1e-7, "f": .int(Int64.max), "g": .int(Int64.min)],
        ["nested": [["deep": [["deeper": [1, [2, [3]]]]]]], "empty": ["": "empty key", "k": [:]]],
        ["keys": ["true": 1, "1": 2, "null": 3, "a: b": 4, "- x": 5, "multi\nline": 6]],
        ["list": [.null, true, "s", 1, 1.5, [], [:], ["a": ["b": "c"]]]],
        "just a string", 42, .null, [1, 2],
    ]

    @Test(arguments: values)
    func canonicalYAMLReadsBackAsTheSameValue(_ value: JSONValue) throws {
        let yaml = value.canonicalYAML
        #expect(try JSONValue.parseYAMLStream(yaml) == [value], "\(yaml)")
        #expect(value.canonicalYAML == yaml)
    }

    @Test func keysTooLongForAnImplicitKeyAreWrittenAsExplicitKeys() throws {
        let long = String(repeating: "k", count: 2_000)
        let value: JSONValue = .object(["outer": .object([long: ["nested": .object([long + "q": 1])]])])
        let yaml = value.canonicalYAML
        #expect(yaml.contains("? " + long + "\n  :\n"))
        #expect(try JSONValue.parseYAMLStream(yaml) == [value])
    }

    @Test func equalObjectsGiveEqualTextWhateverTheirKeyOrder() throws {
        let first = try JSONValue.parse(#"{"b":{"z":1,"x":2},"a":[{"q":1,"p":2}]}"#)
        let second = try JSONValue.parseYAMLStream("a:\n- p: 2\n  q: 1\nb: {x: 2, z: 1}\n")
        #expect([first] == second)
        #expect(first.canonicalYAML == second.first?.canonicalYAML)
    }

    @Test func manifestsRoundTripThroughTheLoader() throws {
        let original = try Fixtures.load(["x.yaml": LoaderTests.sampleDeployment])
        let rewritten = try ManifestLoader.load(files: [ManifestFile(path: "x.yaml", text: original.canonicalYAML)])
        #expect(original.manifests.map(\.object) == rewritten.manifests.map(\.object))
        #expect(original.canonicalJSON == rewritten.canonicalJSON)
    }
}

extension LoaderTests {
    static let sampleDeployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          annotations:
            argocd.argoproj.io/sync-wave: "2"
            note: "yes"
        spec:
          replicas: 2
          template:
            spec:
              containers:
              - name: web
                image: nginx
                command: ["sh", "-c", "echo 'a: b' && exit 0"]
                env:
                - {name: ENABLED, value: "true"}
                - {name: RATIO, value: "1.0"}
                - {name: HEX, value: "0x1F"}
                - {name: SCRIPT, value: "line1\\nline2\\n"}
        """
}
