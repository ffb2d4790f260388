import KubeModel
import Testing

@Suite("Server-side apply")
struct ApplyTests {
    @Test("The first apply creates the object and records the applier's fields")
    func firstApply() throws {
        let created = try Fixture.apply(Fixture.deployment(), to: nil, as: "kubectl")
        #expect(Fixture.content(created) == Fixture.deployment())

        let entries = try created.managedFieldsEntries()
        #expect(entries.count == 1)
        let entry = try #require(entries.first)
        #expect(entry.manager == "kubectl")
        #expect(entry.operation == .apply)
        #expect(entry.apiVersion == "apps/v1")
        #expect(entry.time == Fixture.firstTime)
        #expect(entry.subresource == "")
        let expected = try Fixture.json(
            #"""
            {"f:metadata":{"f:labels":{"f:app":{}}},
             "f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},
               "f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}}}}}}}
            """#)
        #expect(entry.fields.fieldsV1 == expected)
        let stored = try #require(created[path: ["metadata", "managedFields"]]?.arrayValue?.first)
        #expect(stored["fieldsType"] == "FieldsV1")
        #expect(stored["operation"] == "Apply")
    }

    @Test("Re-applying without a label removes the label and its ownership")
    func removedLabel() throws {
        let first = try Fixture.apply(Fixture.deployment(labels: ["app": "web", "team": "payments"]), to: nil, as: "kubectl")
        let second = try Fixture.apply(Fixture.deployment(labels: ["app": "web"]), to: first, as: "kubectl", time: Fixture.laterTime)
        #expect(second.labels == ["app": "web"])
        let fields = try Fixture.fields(second, "kubectl")
        #expect(fields.contains(["metadata", "labels", "app"]))
        #expect(!fields.contains(["metadata", "labels", "team"]))
        #expect(try Fixture.entry(second, "kubectl")?.time == Fixture.laterTime)
    }

    @Test("Re-applying without any label removes the labels map")
    func removedAllLabels() throws {
        let first = try Fixture.apply(Fixture.configMap(data: ["a": "1"], labels: ["app": "web"]), to: nil, as: "sluice")
        let second = try Fixture.apply(Fixture.configMap(data: ["a": "1"]), to: first, as: "sluice")
        #expect(second[path: ["metadata", "labels"]] == nil)
        #expect(second.name == "settings")
    }

    @Test("Applying the same configuration again changes nothing, not even the time")
    func noOpApply() throws {
        let first = try Fixture.apply(Fixture.deployment(), to: nil, as: "kubectl")
        let second = try Fixture.apply(Fixture.deployment(), to: first, as: "kubectl", time: Fixture.laterTime)
        #expect(second == first)
    }

    @Test("Two appliers setting the same value both own the field")
    func coOwners() throws {
        let first = try Fixture.apply(Fixture.deployment(replicas: 3), to: nil, as: "alice")
        let second = try Fixture.apply(Fixture.deployment(replicas: 3), to: first, as: "bob")
        #expect(try Fixture.fields(second, "alice").contains(Fixture.replicas))
        #expect(try Fixture.fields(second, "bob").contains(Fixture.replicas))
        // The object did not change, so, as in Kubernetes, bob's new entry gets no time and sorts first.
        #expect(try Fixture.entry(second, "bob")?.time == nil)
        #expect(try second.managedFieldsEntries().map(\.manager) == ["bob", "alice"])
    }

    @Test("Changing a value another applier owns is a conflict naming the manager and field")
    func conflictWithApplier() throws {
        let live = try Fixture.apply(Fixture.deployment(replicas: 3), to: nil, as: "alice")
        let error = try #require(Fixture.applyError(Fixture.deployment(replicas: 5), to: live, as: "bob"))
        #expect(error.code == 409)
        #expect(error.reason == "Conflict")
        #expect(error.message == #"Apply failed with 1 conflict: conflict with "alice": .spec.replicas"#)
        let cause = APIStatus.Cause(reason: "FieldManagerConflict", message: #"conflict with "alice""#, field: ".spec.replicas")
        #expect(error.details?.causes == [cause])
        #expect(error.details?.name == nil)
    }

    @Test("Several conflicts are listed per manager, one line per field")
    func severalConflicts() throws {
        var live = try Fixture.apply(Fixture.deployment(replicas: 3), to: nil, as: "alice")
        var edited = Fixture.content(live)
        edited[path: ["spec", "template", "spec", "containers"]] = [["name": "web", "image": "nginx:1.26"]]
        live = ServerSideApply.recordUpdate(old: live, new: edited, manager: "kubectl-edit", schema: .builtin, time: Fixture.laterTime)

        let error = try #require(Fixture.applyError(Fixture.deployment(replicas: 5, image: "nginx:1.27"), to: live, as: "bob"))
        let image = #".spec.template.spec.containers[name="web"].image"#
        #expect(
            error.message == """
                Apply failed with 2 conflicts: conflicts with "alice":
                - .spec.replicas
                conflicts with "kubectl-edit" using apps/v1:
                - \(image)
                """)
        #expect(error.details?.causes.map(\.field) == [".spec.replicas", image])
        #expect(error.details?.causes.map(\.message) == [#"conflict with "alice""#, #"conflict with "kubectl-edit" using apps/v1"#])
    }

    @Test("Forcing an apply takes the conflicting fields from their owner")
    func forceTakesOwnership() throws {
        let live = try Fixture.apply(Fixture.deployment(replicas: 3), to: nil, as: "alice")
        let forced = try Fixture.apply(Fixture.deployment(replicas: 5), to: live, as: "bob", force: true)
        #expect(forced[path: ["spec", "replicas"]] == 5)
        #expect(try Fixture.fields(forced, "bob").contains(Fixture.replicas))
        let alice = try Fixture.fields(forced, "alice")
        #expect(!alice.contains(Fixture.replicas))
        #expect(alice.contains(Fixture.container("web").appending("image")))
    }

    @Test("Client-side apply's fields conflict with a server-side apply that changes them")
    func conflictWithClientSideApply() throws {
        let live = ServerSideApply.recordUpdate(
            old: nil, new: Fixture.deployment(replicas: 3), manager: "kubectl-client-side-apply", schema: .builtin, time: Fixture.firstTime)
        let error = try #require(Fixture.applyError(Fixture.deployment(replicas: 5), to: live, as: "kubectl"))
        #expect(error.message == #"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas"#)
        #expect(error.details?.causes.first?.message == #"conflict with "kubectl-client-side-apply" using apps/v1"#)

        let sameValues = try Fixture.apply(Fixture.deployment(replicas: 3), to: live, as: "kubectl")
        #expect(try Fixture.fields(sameValues, "kubectl-client-side-apply", .update).contains(Fixture.replicas))
        #expect(try Fixture.fields(sameValues, "kubectl").contains(Fixture.replicas))
    }

    @Test("An edit after an apply makes the next apply of the old value conflict")
    func editThenReapply() throws {
        let applied = try Fixture.apply(Fixture.deployment(replicas: 3), to: nil, as: "kubectl")
        var edited = Fixture.content(applied)
        edited[path: ["spec", "replicas"]] = 4
        let live = ServerSideApply.recordUpdate(old: applied, new: edited, manager: "kubectl-edit", schema: .builtin, time: Fixture.laterTime)
        #expect(try !Fixture.fields(live, "kubectl").contains(Fixture.replicas))
        #expect(try Fixture.fields(live, "kubectl-edit", .update) == FieldSet([Fixture.replicas]))

        let error = try #require(Fixture.applyError(Fixture.deployment(replicas: 3), to: live, as: "kubectl"))
        #expect(error.message == #"Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas"#)
    }

    @Test("An applied configuration may not set managedFields")
    func managedFieldsInConfiguration() throws {
        var configuration = Fixture.deployment()
        configuration[path: ["metadata", "managedFields"]] = []
        let error = try #require(Fixture.applyError(configuration, to: nil, as: "kubectl"))
        #expect(error.code == 400)
        #expect(error.message == "metadata.managedFields must be nil")
    }

    @Test("Appliers of the main resource own neither status nor server-set metadata")
    func statusAndSystemMetadata() throws {
        var live = Fixture.deployment()
        live[path: ["metadata", "uid"]] = "1234"
        live[path: ["metadata", "resourceVersion"]] = "7"
        live["status"] = ["replicas": 3]
        live = ServerSideApply.recordUpdate(old: nil, new: live, manager: "creator", schema: .builtin, time: Fixture.firstTime)

        var configuration = Fixture.deployment()
        configuration["status"] = ["replicas": 9]
        configuration[path: ["metadata", "uid"]] = "other"
        let result = try Fixture.apply(configuration, to: live, as: "kubectl")
        #expect(result[path: ["status", "replicas"]] == 3)
        #expect(result.uid == "1234")
        #expect(result.resourceVersion == "7")
        for entry in try result.managedFieldsEntries() {
            #expect(entry.fields.allSatisfy { $0.elements.first != "status" && $0.elements.first != "apiVersion" })
            #expect(!entry.fields.contains(["metadata", "name"]))
            #expect(!entry.fields.contains(["metadata", "uid"]))
        }
    }

    @Test("Applying to an object without managed fields credits its fields to before-first-apply")
    func beforeFirstApply() throws {
        let error = try #require(Fixture.applyError(Fixture.deployment(replicas: 5), to: Fixture.deployment(replicas: 3), as: "kubectl"))
        #expect(error.message == #"Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas"#)

        let result = try Fixture.apply(Fixture.deployment(replicas: 3), to: Fixture.deployment(replicas: 3), as: "kubectl")
        #expect(try Fixture.fields(result, ServerSideApply.beforeFirstApplyManager, .update).contains(Fixture.replicas))
    }

    @Test("Applying status through the status subresource owns status only")
    func statusSubresource() throws {
        let live = try Fixture.apply(Fixture.deployment(), to: nil, as: "kubectl")
        var configuration = Fixture.deployment(replicas: 7)
        configuration["status"] = ["readyReplicas": 2]
        let result = try ServerSideApply.apply(
            live: live, applied: configuration, manager: "controller", force: false, schema: .builtin, time: Fixture.laterTime,
            subresource: "status")
        #expect(result[path: ["spec", "replicas"]] == 3)
        #expect(result[path: ["status", "readyReplicas"]] == 2)
        let entry = try #require(try result.managedFieldsEntries().first { $0.manager == "controller" })
        #expect(entry.subresource == "status")
        #expect(entry.fields == FieldSet([["status", "readyReplicas"]]))
    }
}
