import KubeModel
import Testing

@Suite struct StrategicMergePatchTests {
    static let deploymentText = #"""
        {"apiVersion":"apps/v1","kind":"Deployment",
         "metadata":{"name":"web","labels":{"app":"web","tier":"frontend"},"finalizers":["example.com/a"]},
         "spec":{"replicas":2,
           "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}},
           "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[
             {"name":"app","image":"app:1","args":["--port","8080"],
              "env":[{"name":"A","value":"1"}],"ports":[{"containerPort":8080,"protocol":"TCP"}]},
             {"name":"sidecar","image":"proxy:1"}]}}}}
        """#

    let deployment: JSONValue

    init() throws {
        deployment = try JSONValue.parse(Self.deploymentText)
    }

    func patched(_ patch: String, schema: ListSchema = .builtin) throws -> JSONValue {
        try deployment.applyingStrategicMergePatch(try JSONValue.parse(patch), schema: schema)
    }

    func containers(_ object: JSONValue) -> [JSONValue] {
        object[path: ["spec", "template", "spec", "containers"]]?.arrayValue ?? []
    }

    func containerNames(_ object: JSONValue) -> [String] {
        containers(object).compactMap { $0["name"]?.stringValue }
    }

    /// Whether any object member anywhere in the value is a strategic-merge-patch directive.
    func containsDirective(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let members):
            return members.contains { key, member in
                key == "$patch" || key == "$retainKeys" || key.hasPrefix("$setElementOrder/")
                    || key.hasPrefix("$deleteFromPrimitiveList/") || containsDirective(member)
            }
        case .array(let elements):
            return elements.contains(where: containsDirective)
        default:
            return false
        }
    }

    @Test func changingOneContainersImageKeepsTheOtherContainer() throws {
        let result = try patched(#"{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"app:2"}]}}}}"#)
        #expect(containerNames(result) == ["app", "sidecar"])
        let app = containers(result)[0]
        #expect(app["image"] == "app:2")
        #expect(app["args"] == ["--port", "8080"])
        #expect(containers(result)[1]["image"] == "proxy:1")
    }

    @Test func anEnvVarIsAddedByNameBesideTheExistingOnes() throws {
        let result = try patched(
            #"{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"B","value":"2"}]}]}}}}"#)
        let env = containers(result)[0]["env"]?.arrayValue ?? []
        #expect(Set(env.compactMap { $0["name"]?.stringValue }) == ["A", "B"])
        #expect(env.first { $0["name"] == "A" }?["value"] == "1")
    }

    @Test func anEnvVarWithTheSameNameIsMergedNotDuplicated() throws {
        let result = try patched(
            #"{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"A","value":"9"}]}]}}}}"#)
        #expect(containers(result)[0]["env"] == [["name": "A", "value": "9"]])
    }

    @Test func patchDeleteRemovesTheContainerWithThatName() throws {
        let result = try patched(
            #"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}"#)
        #expect(containerNames(result) == ["app"])
        #expect(!containsDirective(result))
    }

    @Test func aNewContainerFromAPlainPatchGoesFirstAsTheAPIServerPutsIt() throws {
        // apimachinery orders patch elements before live-only ones it cannot place; the
        // Kubernetes docs' `kubectl patch` example shows the added container first.
        let result = try patched(#"{"spec":{"template":{"spec":{"containers":[{"name":"logger","image":"log:1"}]}}}}"#)
        #expect(containerNames(result) == ["logger", "app", "sidecar"])
    }

    @Test func setElementOrderOrdersTheMergedList() throws {
        let result = try patched(
            #"""
            {"spec":{"template":{"spec":{
              "$setElementOrder/containers":[{"name":"sidecar"},{"name":"app"},{"name":"logger"}],
              "containers":[{"name":"app","image":"app:2"},{"name":"logger","image":"log:1"}]}}}}
            """#)
        #expect(containerNames(result) == ["sidecar", "app", "logger"])
        #expect(containers(result)[1]["image"] == "app:2")
        #expect(!containsDirective(result))
    }

    @Test func setElementOrderAloneReordersTheLiveList() throws {
        let result = try patched(
            #"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"app"}]}}}}"#)
        #expect(containerNames(result) == ["sidecar", "app"])
        #expect(!containsDirective(result))
    }

    @Test func aLiveOnlyContainerKeepsItsPlaceAmongTheOrderedOnes() throws {
        // `app` is not in the order (another writer added it): apimachinery keeps it where it was
        // relative to the ordered elements rather than moving it to the end.
        let result = try patched(
            #"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"sidecar"}]}}}}"#)
        #expect(containerNames(result) == ["app", "sidecar"])
    }

    @Test func setElementOrderThatContradictsThePatchListIsRefused() throws {
        #expect(throws: PatchError.self) {
            try patched(
                #"""
                {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"app"}],
                  "containers":[{"name":"sidecar","image":"proxy:2"}]}}}}
                """#)
        }
    }

    @Test func kubectlApplyPatchForTheContainerPortsMergesOnContainerPort() throws {
        let result = try patched(
            #"""
            {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"app"},{"name":"sidecar"}],
              "containers":[{"name":"app","$setElementOrder/ports":[{"containerPort":8080},{"containerPort":9090}],
                "ports":[{"containerPort":9090,"name":"metrics"}]}]}}}}
            """#)
        let ports = containers(result)[0]["ports"]?.arrayValue ?? []
        #expect(ports.map { $0["containerPort"] } == [8080, 9090])
        #expect(ports[0]["protocol"] == "TCP")
        #expect(!containsDirective(result))
    }

    @Test func retainKeysDropsTheLiveMembersItDoesNotList() throws {
        let result = try patched(#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#)
        #expect(result[path: ["spec", "strategy"]] == ["type": "Recreate"])
    }

    @Test func retainKeysThatLeavesOutAPatchedMemberIsABadRequest() throws {
        let error = try #require(throws: PatchError.self) {
            try patched(#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":{"maxSurge":2}}}}"#)
        }
        #expect(error.code == .malformedPatch)
        #expect(error.message == "invalid patch format of retainKeys")
    }

    @Test func nullDeletesALabel() throws {
        let result = try patched(#"{"metadata":{"labels":{"tier":null}}}"#)
        #expect(result.labels == ["app": "web"])
    }

    @Test func finalizersMergeAsASet() throws {
        let result = try patched(#"{"metadata":{"finalizers":["example.com/b","example.com/a"]}}"#)
        #expect(result[path: ["metadata", "finalizers"]] == ["example.com/b", "example.com/a"])
        // A value the live list lacks cannot be placed by live order, so apimachinery puts it first.
        let again = try patched(#"{"metadata":{"finalizers":["example.com/b","example.com/a","example.com/a"]}}"#)
        #expect(again[path: ["metadata", "finalizers"]] == ["example.com/b", "example.com/a"])
    }

    @Test func deleteFromPrimitiveListRemovesAFinalizer() throws {
        let result = try patched(
            #"""
            {"metadata":{"$setElementOrder/finalizers":["example.com/b"],
              "$deleteFromPrimitiveList/finalizers":["example.com/a"],"finalizers":["example.com/b"]}}
            """#)
        #expect(result[path: ["metadata", "finalizers"]] == ["example.com/b"])
        #expect(!containsDirective(result))
    }

    @Test func atomicArgsAreReplacedWhole() throws {
        let result = try patched(#"{"spec":{"template":{"spec":{"containers":[{"name":"app","args":["--verbose"]}]}}}}"#)
        #expect(containers(result)[0]["args"] == ["--verbose"])
    }

    @Test func aCustomResourceListIsReplacedWhole() throws {
        let object = try JSONValue.parse(
            #"{"apiVersion":"example.com/v1","kind":"Widget","spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b"}]}}"#)
        let result = try object.applyingStrategicMergePatch(
            try JSONValue.parse(#"{"spec":{"containers":[{"name":"a","image":"a:2"}]}}"#), schema: .custom)
        #expect(result[path: ["spec", "containers"]] == [["name": "a", "image": "a:2"]])
    }

    @Test func patchReplaceInAMapReplacesTheMap() throws {
        let result = try patched(#"{"metadata":{"labels":{"$patch":"replace","owner":"team-a"}}}"#)
        #expect(result.labels == ["owner": "team-a"])
        #expect(!containsDirective(result))
    }

    @Test func patchReplaceInAListElementReplacesTheList() throws {
        let result = try patched(
            #"{"spec":{"template":{"spec":{"containers":[{"$patch":"replace"},{"name":"only","image":"only:1"}]}}}}"#)
        #expect(containers(result) == [["name": "only", "image": "only:1"]])
    }

    @Test func patchDeleteInAMapEmptiesItAsTheAPIServerDoes() throws {
        let result = try patched(#"{"metadata":{"labels":{"$patch":"delete"}}}"#)
        #expect(result[path: ["metadata", "labels"]] == .emptyObject)
        let added = try patched(#"{"metadata":{"annotations":{"$patch":"delete"}}}"#)
        #expect(added[path: ["metadata", "annotations"]] == nil)
    }

    @Test func patchMergeIsTheDefaultAndLeavesNoTrace() throws {
        let result = try patched(#"{"metadata":{"labels":{"$patch":"merge","owner":"team-a"}}}"#)
        #expect(result.labels == ["app": "web", "tier": "frontend", "owner": "team-a"])
    }

    @Test func directivesInsideANewMemberAreProcessedNotCopied() throws {
        let result = try patched(
            #"""
            {"spec":{"template":{"spec":{"volumes":[{"name":"data","emptyDir":{}},{"name":"gone","$patch":"delete"}],
              "$setElementOrder/volumes":[{"name":"data"}]}}}}
            """#)
        #expect(result[path: ["spec", "template", "spec", "volumes"]] == [["name": "data", "emptyDir": .emptyObject]])
        #expect(!containsDirective(result))
    }

    @Test func aMergeListElementWithoutItsMergeKeyIsRefusedInTheAPIServersWords() throws {
        let error = try #require(throws: PatchError.self) {
            try patched(#"{"spec":{"template":{"spec":{"containers":[{"image":"nginx"}]}}}}"#)
        }
        #expect(error.message == "map: map[image:nginx] does not contain declared merge key: name")
        #expect(error.status.code == 500)
    }

    @Test(arguments: ["bogus", "retain"])
    func anUnknownPatchDirectiveIsRefused(_ directive: String) throws {
        #expect(throws: PatchError.self) {
            try patched(#"{"metadata":{"labels":{"$patch":"\#(directive)"}}}"#)
        }
    }

    @Test(arguments: [#"[]"#, #""x""#, #"null"#])
    func aPatchThatIsNotAnObjectIsABadRequest(_ text: String) throws {
        let error = try #require(throws: PatchError.self) { try patched(text) }
        #expect(error.status.code == 400)
    }

    @Test func scalarsAndTypeChangesAreReplaced() throws {
        let result = try patched(#"{"spec":{"replicas":5,"strategy":"Recreate"}}"#)
        #expect(result[path: ["spec", "replicas"]] == 5)
        #expect(result[path: ["spec", "strategy"]] == "Recreate")
    }

    @Test func anEmptyPatchChangesNothing() throws {
        #expect(try patched("{}") == deployment)
    }

    @Test func servicePortsMergeOnPort() throws {
        let service = try JSONValue.parse(
            #"{"kind":"Service","spec":{"ports":[{"port":80,"targetPort":8080},{"port":443,"targetPort":8443}]}}"#)
        let result = try service.applyingStrategicMergePatch(
            try JSONValue.parse(#"{"spec":{"ports":[{"port":443,"targetPort":9443}]}}"#), schema: .builtin)
        #expect(result[path: ["spec", "ports"]] == [["port": 80, "targetPort": 8080], ["port": 443, "targetPort": 9443]])
    }
}
