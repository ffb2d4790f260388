import KubeModel
import Testing

@Suite("Recording non-apply writes")
struct RecordUpdateTests {
    @Test("A create records an Update entry owning every field it set, as the API server writes it")
    func createRecordsUpdate() throws {
        var created = Fixture.deployment()
        created["status"] = ["replicas": 0]
        let result = ServerSideApply.recordUpdate(
            old: nil, new: created, manager: "kubectl-client-side-apply", schema: .builtin, time: Fixture.firstTime)
        #expect(Fixture.content(result) == created)
        let entry = try #require(try Fixture.entry(result, "kubectl-client-side-apply", .update))
        #expect(entry.apiVersion == "apps/v1")
        #expect(entry.time == Fixture.firstTime)
        let expected = try Fixture.json(
            #"""
            {"f:metadata":{"f:labels":{".":{},"f:app":{}}},
             "f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},
               "f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}}}}}}}
            """#)
        #expect(entry.fields.fieldsV1 == expected)
    }

    @Test("An update takes the fields it changes from other managers and leaves the rest")
    func updateTakesChangedFields() throws {
        let applied = try Fixture.apply(Fixture.deployment(replicas: 3), to: nil, as: "kubectl")
        var scaled = Fixture.content(applied)
        scaled[path: ["spec", "replicas"]] = 6
        scaled[path: ["metadata", "annotations"]] = ["scaled-by": "hpa"]
        let result = ServerSideApply.recordUpdate(old: applied, new: scaled, manager: "hpa", schema: .builtin, time: Fixture.laterTime)

        let hpa = try Fixture.fields(result, "hpa", .update)
        #expect(hpa == FieldSet([Fixture.replicas, ["metadata", "annotations"], ["metadata", "annotations", "scaled-by"]]))
        let kubectl = try #require(try Fixture.entry(result, "kubectl"))
        #expect(!kubectl.fields.contains(Fixture.replicas))
        #expect(kubectl.fields.contains(["metadata", "labels", "app"]))
        #expect(kubectl.time == Fixture.firstTime)
        #expect(try result.managedFieldsEntries().map(\.operation) == [.apply, .update])
    }

    @Test("Removed fields lose their owners, and an owner left with nothing loses its entry")
    func removalDropsOwnership() throws {
        let created = ServerSideApply.recordUpdate(
            old: nil, new: Fixture.configMap(data: ["a": "1"], labels: ["tier": "db"]), manager: "creator", schema: .builtin,
            time: Fixture.firstTime)
        let labelled = try Fixture.apply(Fixture.configMap(data: ["a": "1"], labels: ["team": "x"]), to: created, as: "kubectl")
        var stripped = Fixture.content(labelled)
        stripped["metadata"]?["labels"] = nil
        stripped["data"] = ["b": "2"]
        let result = ServerSideApply.recordUpdate(old: labelled, new: stripped, manager: "janitor", schema: .builtin, time: Fixture.laterTime)

        #expect(try Fixture.entry(result, "kubectl") == nil)
        // The creator added the data map as a whole; the map is still there.
        #expect(try Fixture.fields(result, "creator", .update) == FieldSet([["data"]]))
        #expect(try Fixture.fields(result, "janitor", .update) == FieldSet([["data", "b"]]))
    }

    @Test("A write that changes nothing leaves managed fields as they were")
    func unchangedWrite() throws {
        let applied = try Fixture.apply(Fixture.deployment(), to: nil, as: "kubectl")
        let result = ServerSideApply.recordUpdate(
            old: applied, new: Fixture.content(applied), manager: "kubectl-edit", schema: .builtin, time: Fixture.laterTime)
        #expect(result == applied)
    }

    @Test("Repeated updates by one manager accumulate in one entry with the latest time")
    func repeatedUpdates() throws {
        let first = ServerSideApply.recordUpdate(
            old: nil, new: Fixture.configMap(data: ["a": "1"]), manager: "app", schema: .builtin, time: Fixture.firstTime)
        var next = Fixture.content(first)
        next["data"]?["b"] = "2"
        let second = ServerSideApply.recordUpdate(old: first, new: next, manager: "app", schema: .builtin, time: Fixture.laterTime)
        let entries = try second.managedFieldsEntries()
        #expect(entries.count == 1)
        #expect(entries.first?.fields == FieldSet([["data"], ["data", "a"], ["data", "b"]]))
        #expect(entries.first?.time == Fixture.laterTime)
    }

    @Test("Managed fields a client writes are kept, and [{}] clears them")
    func clientWrittenManagedFields() throws {
        let created = ServerSideApply.recordUpdate(
            old: nil, new: Fixture.deployment(), manager: "kubectl-client-side-apply", schema: .builtin, time: Fixture.firstTime)
        let clientSide = try #require(try Fixture.entry(created, "kubectl-client-side-apply", .update))
        var upgraded = created
        upgraded.setManagedFields([
            ManagedFieldsEntry(manager: "kubectl", operation: .apply, apiVersion: "apps/v1", time: Fixture.firstTime, fields: clientSide.fields)
        ])
        let result = ServerSideApply.recordUpdate(old: created, new: upgraded, manager: "kubectl", schema: .builtin, time: Fixture.laterTime)
        #expect(try result.managedFieldsEntries().map(\.manager) == ["kubectl"])
        #expect(try Fixture.fields(result, "kubectl") == clientSide.fields)

        var cleared = created
        cleared[path: ["metadata", "managedFields"]] = [[:]]
        let wiped = ServerSideApply.recordUpdate(old: created, new: cleared, manager: "kubectl", schema: .builtin, time: Fixture.laterTime)
        #expect(wiped[path: ["metadata", "managedFields"]] == nil)

        var omitted = created
        omitted[path: ["metadata", "managedFields"]] = nil
        let kept = ServerSideApply.recordUpdate(old: created, new: omitted, manager: "kubectl", schema: .builtin, time: Fixture.laterTime)
        #expect(kept == created)
    }

    @Test("A status write records ownership of status only, under the status subresource")
    func statusSubresource() throws {
        let applied = try Fixture.apply(Fixture.deployment(), to: nil, as: "kubectl")
        var reported = Fixture.content(applied)
        reported["status"] = ["replicas": 3, "conditions": [["type": "Available", "status": "True"]]]
        let result = ServerSideApply.recordUpdate(
            old: applied, new: reported, manager: "kube-controller-manager", schema: .builtin, time: Fixture.laterTime,
            subresource: "status")
        let entry = try #require(try Fixture.entry(result, "kube-controller-manager", .update))
        #expect(entry.subresource == "status")
        let available: PathElement = .key(["type": "Available"])
        #expect(
            entry.fields
                == FieldSet([
                    ["status", "replicas"], ["status", "conditions"], ["status", "conditions", available],
                    ["status", "conditions", available, "type"], ["status", "conditions", available, "status"],
                ]))
        #expect(try Fixture.fields(result, "kubectl") == Fixture.fields(applied, "kubectl"))
    }
}
