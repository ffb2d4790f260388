import KubeModel
import Testing

/// One row of a JSON Patch table: a document, the operations and the expected result (`nil` when
/// the patch must fail), as JSON text.
struct JSONPatchCase: Sendable, CustomTestStringConvertible {
    let name: String
    let document: String
    let operations: String
    let result: String?

    init(_ name: String, _ document: String, _ operations: String, _ result: String?) {
        self.name = name
        self.document = document
        self.operations = operations
        self.result = result
    }

    var testDescription: String { name }
}

@Suite struct JSONPatchTests {
    /// RFC 6902, Appendix A (A.13, a duplicate "op" member, cannot be represented once parsed).
    static let rfcExamples: [JSONPatchCase] = [
        JSONPatchCase(
            "A.1 adding an object member", #"{"foo":"bar"}"#,
            #"[{"op":"add","path":"/baz","value":"qux"}]"#, #"{"baz":"qux","foo":"bar"}"#),
        JSONPatchCase(
            "A.2 adding an array element", #"{"foo":["bar","baz"]}"#,
            #"[{"op":"add","path":"/foo/1","value":"qux"}]"#, #"{"foo":["bar","qux","baz"]}"#),
        JSONPatchCase(
            "A.3 removing an object member", #"{"baz":"qux","foo":"bar"}"#,
            #"[{"op":"remove","path":"/baz"}]"#, #"{"foo":"bar"}"#),
        JSONPatchCase(
            "A.4 removing an array element", #"{"foo":["bar","qux","baz"]}"#,
            #"[{"op":"remove","path":"/foo/1"}]"#, #"{"foo":["bar","baz"]}"#),
        JSONPatchCase(
            "A.5 replacing a value", #"{"baz":"qux","foo":"bar"}"#,
            #"[{"op":"replace","path":"/baz","value":"boo"}]"#, #"{"baz":"boo","foo":"bar"}"#),
        JSONPatchCase(
            "A.6 moving a value", #"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#,
            #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#,
            #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#),
        JSONPatchCase(
            "A.7 moving an array element", #"{"foo":["all","grass","cows","eat"]}"#,
            #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#, #"{"foo":["all","cows","eat","grass"]}"#),
        JSONPatchCase(
            "A.8 testing a value: success", #"{"baz":"qux","foo":["a",2,"c"]}"#,
            #"[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]"#,
            #"{"baz":"qux","foo":["a",2,"c"]}"#),
        JSONPatchCase(
            "A.9 testing a value: error", #"{"baz":"qux"}"#,
            #"[{"op":"test","path":"/baz","value":"bar"}]"#, nil),
        JSONPatchCase(
            "A.10 adding a nested member object", #"{"foo":"bar"}"#,
            #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#, #"{"foo":"bar","child":{"grandchild":{}}}"#),
        JSONPatchCase(
            "A.11 ignoring unrecognized elements", #"{"foo":"bar"}"#,
            #"[{"op":"add","path":"/baz","value":"qux","xyz":123}]"#, #"{"foo":"bar","baz":"qux"}"#),
        JSONPatchCase(
            "A.12 adding to a nonexistent target", #"{"foo":"bar"}"#,
            #"[{"op":"add","path":"/baz/bat","value":"qux"}]"#, nil),
        JSONPatchCase(
            "A.14 ~ escape ordering", #"{"/":9,"~1":10}"#,
            #"[{"op":"test","path":"/~01","value":10}]"#, #"{"/":9,"~1":10}"#),
        JSONPatchCase(
            "A.15 comparing strings and numbers", #"{"/":9,"~1":10}"#,
            #"[{"op":"test","path":"/~01","value":"10"}]"#, nil),
        JSONPatchCase(
            "A.16 adding an array value", #"{"foo":["bar"]}"#,
            #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#, #"{"foo":["bar",["abc","def"]]}"#),
    ]

    /// Further cases: pointers, bounds, copy, whole-document targets.
    static let moreCases: [JSONPatchCase] = [
        JSONPatchCase(
            "copy duplicates a value", #"{"a":{"b":1}}"#,
            #"[{"op":"copy","from":"/a","path":"/c"}]"#, #"{"a":{"b":1},"c":{"b":1}}"#),
        JSONPatchCase(
            "~1 in a pointer names a key with a slash", #"{"metadata":{"annotations":{}}}"#,
            #"[{"op":"add","path":"/metadata/annotations/example.com~1team","value":"blue"}]"#,
            #"{"metadata":{"annotations":{"example.com/team":"blue"}}}"#),
        JSONPatchCase(
            "add at the end index appends", #"{"a":[1,2]}"#,
            #"[{"op":"add","path":"/a/2","value":3}]"#, #"{"a":[1,2,3]}"#),
        JSONPatchCase(
            "add past the end fails", #"{"a":[1,2]}"#, #"[{"op":"add","path":"/a/3","value":3}]"#, nil),
        JSONPatchCase(
            "replace of the end marker fails", #"{"a":[1,2]}"#, #"[{"op":"replace","path":"/a/-","value":3}]"#, nil),
        JSONPatchCase(
            "remove past the end fails", #"{"a":[1,2]}"#, #"[{"op":"remove","path":"/a/2"}]"#, nil),
        JSONPatchCase(
            "an index with a leading zero fails", #"{"a":[1,2]}"#, #"[{"op":"replace","path":"/a/01","value":3}]"#, nil),
        JSONPatchCase(
            "replace of an array element", #"{"a":[1,2]}"#, #"[{"op":"replace","path":"/a/0","value":9}]"#, #"{"a":[9,2]}"#),
        JSONPatchCase(
            "replace of a missing member fails", #"{"a":1}"#, #"[{"op":"replace","path":"/b","value":2}]"#, nil),
        JSONPatchCase(
            "the empty pointer replaces the whole document", #"{"a":1}"#,
            #"[{"op":"replace","path":"","value":{"b":2}}]"#, #"{"b":2}"#),
        JSONPatchCase(
            "test compares numbers by value", #"{"a":1}"#, #"[{"op":"test","path":"/a","value":1.0}]"#, #"{"a":1}"#),
        JSONPatchCase(
            "test compares objects regardless of member order", #"{"a":{"x":1,"y":[true,null]}}"#,
            #"[{"op":"test","path":"/a","value":{"y":[true,null],"x":1}}]"#, #"{"a":{"x":1,"y":[true,null]}}"#),
        JSONPatchCase(
            "test of null is not test of missing", #"{"a":null}"#, #"[{"op":"test","path":"/b","value":null}]"#, nil),
        JSONPatchCase(
            "move into its own child fails", #"{"a":{"b":{}}}"#, #"[{"op":"move","from":"/a","path":"/a/b/c"}]"#, nil),
        JSONPatchCase(
            "a later failure undoes earlier operations", #"{"a":1}"#,
            #"[{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":2}]"#, nil),
        JSONPatchCase("an unknown op fails", #"{"a":1}"#, #"[{"op":"frobnicate","path":"/a"}]"#, nil),
        JSONPatchCase("add without a value fails", #"{"a":1}"#, #"[{"op":"add","path":"/b"}]"#, nil),
        JSONPatchCase("a path without a leading slash fails", #"{"a":1}"#, #"[{"op":"remove","path":"a"}]"#, nil),
    ]

    @Test(arguments: rfcExamples + moreCases)
    func operationsGiveTheExpectedDocumentOrFail(_ example: JSONPatchCase) throws {
        let document = try JSONValue.parse(example.document)
        let operations = try JSONValue.parse(example.operations)
        if let result = example.result {
            #expect(try document.applyingJSONPatch(operations) == (try JSONValue.parse(result)))
        } else {
            #expect(throws: PatchError.self) { try document.applyingJSONPatch(operations) }
        }
    }

    @Test func aMissingPathIsNamedInTheErrorAndAnswersInvalid() throws {
        let document = try JSONValue.parse(#"{"spec":{"replicas":1}}"#)
        let error = try #require(throws: PatchError.self) {
            try document.applyingJSONPatch(try JSONValue.parse(#"[{"op":"remove","path":"/spec/foo"}]"#))
        }
        #expect(error.message.contains("doc is missing path: /spec/foo"))
        #expect(error.code == .doesNotApply)
        #expect(error.status.code == 422)
        #expect(error.status.message == "the server rejected our request due to an error in our request")
        #expect(error.status.details?.causes.first?.message == error.message)
    }

    @Test func aFailedTestSaysSoAndNamesThePath() throws {
        let document = try JSONValue.parse(#"{"spec":{"replicas":3}}"#)
        let error = try #require(throws: PatchError.self) {
            try document.applyingJSONPatch(try JSONValue.parse(#"[{"op":"test","path":"/spec/replicas","value":4}]"#))
        }
        #expect(error.message.contains("test operation failed"))
        #expect(error.message.contains("/spec/replicas"))
    }

    @Test func anOutOfBoundsIndexIsNamedInTheError() throws {
        let document = try JSONValue.parse(#"{"spec":{"args":["a"]}}"#)
        let error = try #require(throws: PatchError.self) {
            try document.applyingJSONPatch(try JSONValue.parse(#"[{"op":"add","path":"/spec/args/5","value":"b"}]"#))
        }
        #expect(error.message.contains("/spec/args/5"))
    }

    @Test(arguments: [#"{"op":"add"}"#, #""add""#, #"[1]"#])
    func aPatchThatIsNotAnArrayOfObjectsIsABadRequest(_ text: String) throws {
        let error = try #require(throws: PatchError.self) {
            try JSONValue.emptyObject.applyingJSONPatch(try JSONValue.parse(text))
        }
        #expect(error.code == .malformedPatch)
        #expect(error.status.code == 400)
        #expect(error.status.reason == "BadRequest")
    }

    @Test func operationsOnADeploymentApplyInOrder() throws {
        let deployment = try JSONValue.parse(
            #"{"metadata":{"name":"web","labels":{"app":"web"}},"spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"app","image":"app:1"}]}}}}"#
        )
        let operations = try JSONValue.parse(
            #"""
            [{"op":"test","path":"/spec/replicas","value":1},
             {"op":"replace","path":"/spec/replicas","value":3},
             {"op":"add","path":"/spec/template/spec/containers/-","value":{"name":"sidecar","image":"proxy:1"}},
             {"op":"replace","path":"/spec/template/spec/containers/0/image","value":"app:2"},
             {"op":"remove","path":"/metadata/labels/app"}]
            """#)
        let patched = try deployment.applyingJSONPatch(operations)
        #expect(patched[path: ["spec", "replicas"]] == 3)
        #expect(patched[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.map { $0["image"] } == ["app:2", "proxy:1"])
        #expect(patched.labels == [:])
    }
}
