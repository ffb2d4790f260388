import KubeModel
import Testing

@Suite("FieldSet and FieldsV1")
struct FieldSetTests {
    @Test("FieldsV1 read into a field set writes back the same JSON")
    func fieldsV1RoundTrip() throws {
        let fieldsV1 = try Fixture.json(
            #"""
            {"f:metadata":{"f:labels":{"f:app":{}}},
             "f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{},
               "f:ports":{".":{},"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}},
             "f:metadata2":{"f:finalizers":{"v:\"example.com/guard\"":{}},"f:list":{"i:0":{}}}}
            """#)
        let set = try FieldSet(fieldsV1: fieldsV1)
        let web: PathElement = .key(["name": "web"])
        let port: PathElement = .key(["containerPort": 80, "protocol": "TCP"])
        #expect(set.count == 10)
        #expect(set.contains(["metadata", "labels", "app"]))
        #expect(set.contains(["spec", "template", "spec", "containers", web]))
        #expect(set.contains(["spec", "template", "spec", "containers", web, "ports"]))
        #expect(set.contains(["spec", "template", "spec", "containers", web, "ports", port]))
        #expect(set.contains(["metadata2", "finalizers", .value("example.com/guard")]))
        #expect(set.contains(["metadata2", "list", .index(0)]))
        #expect(!set.contains(["spec", "template", "spec", "containers"]))
        #expect(set.fieldsV1 == fieldsV1)
        #expect(try FieldSet(fieldsV1: set.fieldsV1) == set)
    }

    @Test(
        "Each path element has its FieldsV1 key",
        arguments: [
            (PathElement.field("replicas"), "f:replicas"),
            (.field("kubectl.kubernetes.io/last-applied-configuration"), "f:kubectl.kubernetes.io/last-applied-configuration"),
            (.key(["name": "web"]), #"k:{"name":"web"}"#),
            (.key(["protocol": "TCP", "containerPort": 80]), #"k:{"containerPort":80,"protocol":"TCP"}"#),
            (.value("example.com/guard"), #"v:"example.com/guard""#),
            (.value(8080), "v:8080"),
            (.index(2), "i:2"),
        ])
    func fieldsV1Keys(element: PathElement, key: String) {
        #expect(element.fieldsV1Key == key)
        #expect(PathElement(fieldsV1Key: key) == element)
    }

    @Test(
        "Paths print as Kubernetes prints them in conflicts",
        arguments: [
            (FieldPath(["spec", "replicas"]), ".spec.replicas"),
            (Fixture.container("web").appending("image"), #".spec.template.spec.containers[name="web"].image"#),
            (FieldPath(["ports", .key(["containerPort": 80, "protocol": "TCP"])]), #".ports[containerPort=80,protocol="TCP"]"#),
            (FieldPath(["metadata", "finalizers", .value("a")]), #".metadata.finalizers[="a"]"#),
            (FieldPath(["args", .index(1)]), ".args[1]"),
        ])
    func pathDescriptions(path: FieldPath, text: String) {
        #expect(path.description == text)
    }

    @Test(
        "Malformed FieldsV1 is a bad request",
        arguments: [#"{"x:replicas":{}}"#, #"{"f:spec":1}"#, #"{"k:not json":{}}"#, #"{"k:[1]":{}}"#, #"[]"#])
    func malformedFieldsV1(text: String) throws {
        let fieldsV1 = try Fixture.json(text)
        let error = #expect(throws: APIStatus.self) { try FieldSet(fieldsV1: fieldsV1) }
        #expect(error?.code == 400)
    }

    @Test("A configuration owns its leaves and list elements but not the maps it passes through")
    func configurationFields() throws {
        let configuration = try Fixture.json(
            #"""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"}},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"spec":{
               "containers":[{"name":"web","image":"nginx","args":["-v"],"resources":{},"env":[],
                              "ports":[{"containerPort":80}]}]}}}}
            """#)
        let set = FieldSet(configuration: configuration, schema: .builtin)
        let expected = try Fixture.json(
            #"""
            {"f:apiVersion":{},"f:kind":{},"f:metadata":{"f:name":{},"f:labels":{"f:app":{}}},
             "f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{
               ".":{},"f:name":{},"f:image":{},"f:args":{},"f:resources":{},
               "f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}}
            """#)
        #expect(set.fieldsV1 == expected)
    }

    @Test("Paths sort with the fields ending at a level before the deeper ones")
    func pathOrder() {
        let paths: [FieldPath] = [
            ["spec", "template", "spec"], ["metadata", "labels", "app"], ["spec", "replicas"], ["spec", "paused"], ["apiVersion"],
        ]
        let expected: [FieldPath] = [
            ["apiVersion"], ["metadata", "labels", "app"], ["spec", "paused"], ["spec", "replicas"], ["spec", "template", "spec"],
        ]
        #expect(FieldSet(paths).sorted == expected)
    }

    @Test("Managed fields entries read and write their JSON and store in Kubernetes' order")
    func managedFieldsEntries() throws {
        let update = ManagedFieldsEntry(
            manager: "kube-controller-manager", operation: .update, apiVersion: "apps/v1", time: Fixture.firstTime,
            fields: FieldSet([["status", "replicas"]]), subresource: "status")
        let apply = ManagedFieldsEntry(
            manager: "kubectl", operation: .apply, apiVersion: "apps/v1", time: Fixture.laterTime, fields: FieldSet([Fixture.replicas]))
        let empty = ManagedFieldsEntry(manager: "idle", operation: .update, apiVersion: "v1", fields: FieldSet())
        #expect(try ManagedFieldsEntry(json: update.json) == update)
        #expect(update.json["subresource"] == "status")
        #expect(apply.json["subresource"] == nil)
        #expect(apply.json["fieldsType"] == "FieldsV1")

        var object = Fixture.deployment()
        object.setManagedFields([update, empty, apply])
        #expect(try object.managedFieldsEntries() == [apply, update])
        object.setManagedFields([empty])
        #expect(object[path: ["metadata", "managedFields"]] == nil)
    }
}
