import KubeModel
import Testing

@Suite("Server-side apply of lists and removal")
struct ListMergeTests {
    private static func pod(containers: JSONValue, finalizers: [String]? = nil) -> JSONValue {
        var object: JSONValue = [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "app", "namespace": "default"],
            "spec": ["containers": containers],
        ]
        if let finalizers { object[path: ["metadata", "finalizers"]] = .array(finalizers.map(JSONValue.string)) }
        return object
    }

    private static let containers: FieldPath = ["spec", "containers"]

    private static func container(_ name: String) -> FieldPath {
        containers.appending(.key(["name": .string(name)]))
    }

    private static func names(_ object: JSONValue) -> [String] {
        object[path: ["spec", "containers"]]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    @Test("Two appliers each own one container of the same keyed list")
    func keyedListMerge() throws {
        let first = try Fixture.apply(Self.pod(containers: [["name": "web", "image": "nginx"]]), to: nil, as: "alice")
        let second = try Fixture.apply(Self.pod(containers: [["name": "proxy", "image": "envoy"]]), to: first, as: "bob")
        #expect(Self.names(second) == ["web", "proxy"])
        let alice = try Fixture.fields(second, "alice")
        let bob = try Fixture.fields(second, "bob")
        #expect(alice.contains(Self.container("web")) && !alice.contains(Self.container("proxy")))
        #expect(bob.contains(Self.container("proxy")) && !bob.contains(Self.container("web")))

        let updated = try Fixture.apply(Self.pod(containers: [["name": "web", "image": "nginx:2"]]), to: second, as: "alice")
        #expect(updated[path: ["spec", "containers"]] == [["name": "web", "image": "nginx:2"], ["name": "proxy", "image": "envoy"]])

        let dropped = try Fixture.apply(Self.pod(containers: [["name": "proxy", "image": "envoy"]]), to: second, as: "alice")
        #expect(Self.names(dropped) == ["proxy"])
        #expect(try Fixture.fields(dropped, "alice").contains(Self.container("proxy")))
    }

    @Test("A container removed by its applier goes whole, even with fields another manager set inside")
    func keyedElementRemovedWhole() throws {
        let web: JSONValue = ["name": "web", "image": "nginx"]
        let first = try Fixture.apply(Self.pod(containers: [web, ["name": "log", "image": "fluent"]]), to: nil, as: "alice")
        var edited = Fixture.content(first)
        edited[path: ["spec", "containers"]] = [web, ["name": "log", "image": "fluent", "resources": ["limits": ["cpu": "1"]]]]
        let live = ServerSideApply.recordUpdate(old: first, new: edited, manager: "tuner", schema: .builtin, time: Fixture.laterTime)
        let cpu = FieldPath(Self.container("log").elements + ["resources", "limits", "cpu"])
        #expect(try Fixture.fields(live, "tuner", .update).contains(cpu))

        let result = try Fixture.apply(Self.pod(containers: [web]), to: live, as: "alice")
        #expect(Self.names(result) == ["web"])
        #expect(try Fixture.entry(result, "tuner", .update) == nil)
    }

    @Test(
        "An atomic list is replaced whole and owned as one field",
        arguments: [
            (["a", "b"], ["c"]),
            (["a"], ["a", "b"]),
            (["a", "b"], []),
        ] as [([String], [String])])
    func atomicListReplaced(before: [String], after: [String]) throws {
        func configuration(_ args: [String]) -> JSONValue {
            Self.pod(containers: [["name": "web", "image": "nginx", "args": .array(args.map(JSONValue.string))]])
        }
        let first = try Fixture.apply(configuration(before), to: nil, as: "alice")
        let second = try Fixture.apply(configuration(after), to: first, as: "alice")
        #expect(second[path: ["spec", "containers"]]?.arrayValue?.first?["args"] == .array(after.map(JSONValue.string)))
        let fields = try Fixture.fields(second, "alice")
        #expect(fields.contains(Self.container("web").appending("args")))
        #expect(!fields.contains { $0.elements.count > 4 && $0.elements[3] == "args" })
    }

    @Test("A set list is the union of its appliers' elements")
    func setListUnion() throws {
        let containers: JSONValue = [["name": "web", "image": "nginx"]]
        let first = try Fixture.apply(Self.pod(containers: containers, finalizers: ["a.example.com/one"]), to: nil, as: "alice")
        let second = try Fixture.apply(Self.pod(containers: containers, finalizers: ["b.example.com/two"]), to: first, as: "bob")
        #expect(second.finalizers == ["a.example.com/one", "b.example.com/two"])
        #expect(try Fixture.fields(second, "bob").contains(["metadata", "finalizers", .value("b.example.com/two")]))

        let third = try Fixture.apply(Self.pod(containers: containers), to: second, as: "alice")
        #expect(third.finalizers == ["b.example.com/two"])
    }

    @Test("Removing a field keeps it while another manager still owns it")
    func removalKeepsCoOwnedFields() throws {
        let first = try Fixture.apply(Fixture.configMap(data: ["a": "1", "b": "2"]), to: nil, as: "alice")
        let second = try Fixture.apply(Fixture.configMap(data: ["b": "2"]), to: first, as: "bob")
        let third = try Fixture.apply(Fixture.configMap(data: ["c": "3"]), to: second, as: "alice")
        #expect(third["data"] == ["b": "2", "c": "3"])
        #expect(try Fixture.fields(third, "alice") == FieldSet([["data", "c"]]))
        #expect(try Fixture.fields(third, "bob") == FieldSet([["data", "b"]]))
    }

    @Test("Removing a field keeps it while an Update manager owns it")
    func removalKeepsUpdatedFields() throws {
        let created = ServerSideApply.recordUpdate(
            old: nil, new: Fixture.configMap(data: ["a": "1"]), manager: "creator", schema: .builtin, time: Fixture.firstTime)
        let applied = try Fixture.apply(Fixture.configMap(data: ["a": "1", "b": "2"]), to: created, as: "alice")
        let result = try Fixture.apply(Fixture.configMap(data: ["c": "3"]), to: applied, as: "alice")
        #expect(result["data"] == ["a": "1", "c": "3"])
        #expect(try Fixture.fields(result, "creator", .update).contains(["data", "a"]))
    }

    @Test(
        "Ports with and without protocol are the same element",
        arguments: [
            ["containerPort": 80] as JSONValue,
            ["containerPort": 80, "protocol": "TCP"] as JSONValue,
        ])
    func portsDefaultProtocol(appliedPort: JSONValue) throws {
        let live = ServerSideApply.recordUpdate(
            old: nil,
            new: Self.pod(containers: [["name": "web", "image": "nginx", "ports": [["containerPort": 80, "protocol": "TCP", "name": "http"]]]]),
            manager: "creator", schema: .builtin, time: Fixture.firstTime)
        let configuration = Self.pod(containers: [["name": "web", "image": "nginx", "ports": [appliedPort]]])
        let result = try Fixture.apply(configuration, to: live, as: "kubectl")
        let ports = result[path: ["spec", "containers"]]?.arrayValue?.first?["ports"]
        #expect(ports == [["containerPort": 80, "protocol": "TCP", "name": "http"]])
        let port = Self.container("web").appending("ports").appending(.key(["containerPort": 80, "protocol": "TCP"]))
        #expect(try Fixture.fields(result, "kubectl").contains(port))
        #expect(try Fixture.fields(result, "creator", .update).contains(port))
    }

    @Test(
        "Dropping nested fields from a configuration removes exactly those fields",
        arguments: [
            (["limits": ["cpu": "1", "memory": "1Gi"]], ["limits": ["memory": "1Gi"]], ["limits": ["memory": "1Gi"]]),
            (["limits": ["cpu": "1"], "requests": ["cpu": "1"]], ["requests": ["cpu": "1"]], ["requests": ["cpu": "1"]]),
            (["limits": ["cpu": "1"]], nil, nil),
        ] as [(JSONValue, JSONValue?, JSONValue?)])
    func nestedRemoval(before: JSONValue, after: JSONValue?, expected: JSONValue?) throws {
        func configuration(_ resources: JSONValue?) -> JSONValue {
            var container: JSONValue = ["name": "web", "image": "nginx"]
            container["resources"] = resources
            return Self.pod(containers: [container])
        }
        let first = try Fixture.apply(configuration(before), to: nil, as: "alice")
        let second = try Fixture.apply(configuration(after), to: first, as: "alice")
        #expect(second[path: ["spec", "containers"]]?.arrayValue?.first?["resources"] == expected)
        #expect(second[path: ["spec", "containers"]]?.arrayValue?.first?["image"] == "nginx")
    }

    @Test("Shared elements follow the configuration's order while the others keep their place")
    func listOrder() throws {
        func containers(_ names: [String]) -> JSONValue {
            .array(names.map { ["name": .string($0), "image": "busybox"] })
        }
        let live = ServerSideApply.recordUpdate(
            old: nil, new: Self.pod(containers: containers(["a", "b", "c"])), manager: "creator", schema: .builtin, time: Fixture.firstTime)
        let result = try Fixture.apply(Self.pod(containers: containers(["c", "d", "a"])), to: live, as: "kubectl")
        #expect(Self.names(result) == ["b", "c", "d", "a"])
    }
}
