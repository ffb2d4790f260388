import KubeModel
import Testing

/// One row of a merge-patch table: the original document, the patch and the expected result, as
/// JSON text.
struct MergePatchCase: Sendable, CustomTestStringConvertible {
    let original: String
    let patch: String
    let result: String

    init(_ original: String, _ patch: String, _ result: String) {
        self.original = original
        self.patch = patch
        self.result = result
    }

    var testDescription: String { "\(original) + \(patch)" }
}

@Suite struct MergePatchTests {
    /// RFC 7386, Appendix A.
    static let rfcExamples: [MergePatchCase] = [
        MergePatchCase(#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        MergePatchCase(#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        MergePatchCase(#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        MergePatchCase(#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        MergePatchCase(#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        MergePatchCase(#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        MergePatchCase(#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        MergePatchCase(#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        MergePatchCase(#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        MergePatchCase(#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        MergePatchCase(#"{"a":"foo"}"#, #"null"#, #"null"#),
        MergePatchCase(#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        MergePatchCase(#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
        MergePatchCase(#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        MergePatchCase(#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ]

    @Test(arguments: rfcExamples)
    func rfc7386AppendixExamplesGiveTheRFCResults(_ example: MergePatchCase) throws {
        let original = try JSONValue.parse(example.original)
        let patch = try JSONValue.parse(example.patch)
        #expect(original.applyingMergePatch(patch) == (try JSONValue.parse(example.result)))
    }

    @Test func rfc7386SectionThreeExampleUpdatesTitleAuthorAndTags() throws {
        let original = try JSONValue.parse(
            #"""
            {"title":"Goodbye!","author":{"givenName":"John","familyName":"Doe"},
             "tags":["example","sample"],"content":"This will be unchanged"}
            """#)
        let patch = try JSONValue.parse(
            #"""
            {"title":"Hello!","phoneNumber":"+01-123-456-7890","author":{"familyName":null},"tags":["example"]}
            """#)
        let expected = try JSONValue.parse(
            #"""
            {"title":"Hello!","author":{"givenName":"John"},"tags":["example"],
             "content":"This will be unchanged","phoneNumber":"+01-123-456-7890"}
            """#)
        #expect(original.applyingMergePatch(patch) == expected)
    }

    @Test func nullDeletesALabelAndKeepsTheOthers() throws {
        let object = try JSONValue.parse(#"{"metadata":{"name":"web","labels":{"app":"web","tier":"frontend"}}}"#)
        let patched = object.applyingMergePatch(try JSONValue.parse(#"{"metadata":{"labels":{"tier":null}}}"#))
        #expect(patched.labels == ["app": "web"])
        #expect(patched.name == "web")
    }

    @Test func listsAreReplacedWhole() throws {
        let object = try JSONValue.parse(#"{"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b"}]}}"#)
        let patched = object.applyingMergePatch(try JSONValue.parse(#"{"spec":{"containers":[{"name":"a","image":"a:2"}]}}"#))
        #expect(patched.serialized() == #"{"spec":{"containers":[{"image":"a:2","name":"a"}]}}"#)
    }

    /// Cases whose result has no `null` member, so a generated patch can reproduce it.
    static let reproducibleExamples = rfcExamples.filter { !$0.result.contains("null") }

    @Test(arguments: reproducibleExamples)
    func generatedMergePatchTurnsOriginalIntoModified(_ example: MergePatchCase) throws {
        let original = try JSONValue.parse(example.original)
        let modified = try JSONValue.parse(example.result)
        let patch = JSONValue.mergePatch(from: original, to: modified)
        #expect(original.applyingMergePatch(patch) == modified)
    }

    @Test func generatedMergePatchHoldsOnlyTheChanges() throws {
        let original = try JSONValue.parse(
            #"{"metadata":{"name":"web","labels":{"app":"web","tier":"frontend"}},"spec":{"replicas":2,"paused":false}}"#)
        let modified = try JSONValue.parse(
            #"{"metadata":{"name":"web","labels":{"app":"web","team":"blue"}},"spec":{"replicas":3,"paused":false}}"#)
        let patch = JSONValue.mergePatch(from: original, to: modified)
        #expect(patch.serialized() == #"{"metadata":{"labels":{"team":"blue","tier":null}},"spec":{"replicas":3}}"#)
    }

    @Test func generatedMergePatchBetweenEqualObjectsIsEmpty() throws {
        let object = try JSONValue.parse(#"{"a":{"b":[1,2]},"c":"d"}"#)
        #expect(JSONValue.mergePatch(from: object, to: object) == .emptyObject)
    }

    @Test func generatedMergePatchCarriesAChangedListWhole() throws {
        let original = try JSONValue.parse(#"{"args":["a","b"],"keep":1}"#)
        let modified = try JSONValue.parse(#"{"args":["a"],"keep":1}"#)
        #expect(JSONValue.mergePatch(from: original, to: modified).serialized() == #"{"args":["a"]}"#)
    }

    @Test func generatedMergePatchForANonObjectIsTheModifiedValue() throws {
        #expect(JSONValue.mergePatch(from: ["a": 1], to: [1, 2]) == [1, 2])
        #expect(JSONValue.mergePatch(from: "x", to: ["a": 1]) == ["a": 1])
    }
}
