import KubeModel
import Testing

@Suite struct JSONValueTests {
    @Test func integersAndFractionsKeepTheirForm() throws {
        let value = try JSONValue.parse(#"{"replicas":3,"ratio":0.5,"big":1e3}"#)
        #expect(value["replicas"] == .int(3))
        #expect(value["ratio"] == .double(0.5))
        #expect(value.serialized() == #"{"big":1000,"ratio":0.5,"replicas":3}"#)
    }

    @Test func stringsRoundTripWithEscapesAndUnicode() throws {
        let text = #"{"a":"line\nbreak \"quoted\" \\ tab\t \u00e9 \ud83d\ude00"}"#
        let value = try JSONValue.parse(text)
        #expect(value["a"]?.stringValue == "line\nbreak \"quoted\" \\ tab\t é 😀")
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    @Test(arguments: ["{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "1 2", "{\"a\":01x}"])
    func malformedTextIsRefused(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func deepNestingIsRefused() {
        let text = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func pathSubscriptCreatesIntermediateObjects() {
        var value = JSONValue.emptyObject
        value[path: ["metadata", "labels", "app"]] = "web"
        #expect(value.serialized() == #"{"metadata":{"labels":{"app":"web"}}}"#)
        #expect(value.labels == ["app": "web"])
        value.labels = [:]
        #expect(value.serialized() == #"{"metadata":{}}"#)
    }

    @Test func apiVersionParsesIntoGroupAndVersion() {
        #expect(GroupVersion(apiVersion: "v1") == GroupVersion(group: "", version: "v1"))
        #expect(GroupVersion(apiVersion: "apps/v1") == GroupVersion(group: "apps", version: "v1"))
        #expect(GroupVersion(apiVersion: "a/b/c") == nil)
        #expect(GroupVersion(apiVersion: "") == nil)
    }

    @Test func containmentLooksUpMembersAndComparesListsPlaceByPlace() throws {
        let live = try JSONValue.parse(
            #"{"metadata":{"name":"web","uid":"1","labels":{"a":"1","b":"2"}},"spec":{"replicas":2,"ratio":1.0,"#
                + #""containers":[{"name":"web","image":"nginx","imagePullPolicy":"Always"}],"args":["x","y"],"empty":{},"none":null}}"#)
        // Fewer members, defaulted fields left out, an integral double equal to the integer.
        #expect(try JSONValue.parse(#"{"metadata":{"name":"web","labels":{"a":"1"}},"spec":{"replicas":2.0,"ratio":1}}"#).isContained(in: live))
        #expect(try JSONValue.parse(#"{"spec":{"containers":[{"name":"web","image":"nginx"}],"args":["x","y"],"empty":{}}}"#).isContained(in: live))
        #expect(try JSONValue.parse(#"{"spec":{"none":null}}"#).isContained(in: live))
        // A value that differs, a member the live object lacks, a list of another length or order.
        #expect(!(try JSONValue.parse(#"{"spec":{"replicas":3}}"#).isContained(in: live)))
        #expect(!(try JSONValue.parse(#"{"metadata":{"labels":{"c":"3"}}}"#).isContained(in: live)))
        #expect(!(try JSONValue.parse(#"{"spec":{"args":["x"]}}"#).isContained(in: live)))
        #expect(!(try JSONValue.parse(#"{"spec":{"args":["y","x"]}}"#).isContained(in: live)))
        #expect(!(try JSONValue.parse(#"{"spec":{"replicas":"2"}}"#).isContained(in: live)))
        #expect(!(try JSONValue.parse(#"{"spec":{"empty":null}}"#).isContained(in: live)))
        #expect(!(try JSONValue.parse(#"{"spec":{"ratio":1.5}}"#).isContained(in: live)))
    }
}
