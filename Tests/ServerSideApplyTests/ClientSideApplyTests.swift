import KubeModel
import Testing

@Suite("Moving from client-side apply and other managedFields upkeep")
struct ClientSideApplyTests {
    private static let annotation = "kubectl.kubernetes.io/last-applied-configuration"

    /// A Deployment created by client-side `kubectl apply`: the configuration plus its
    /// last-applied annotation, recorded as an Update by `kubectl-client-side-apply`.
    private static func clientSideApplied(replicas: Int64) -> JSONValue {
        let configuration = Fixture.deployment(replicas: replicas)
        var object = configuration
        object[path: ["metadata", "annotations"]] = [.init(stringLiteral: annotation): .string(configuration.serialized() + "\n")]
        return ServerSideApply.recordUpdate(
            old: nil, new: object, manager: "kubectl-client-side-apply", schema: .builtin, time: Fixture.firstTime)
    }

    @Test("kubectl takes over fields still at their last-applied values without a conflict")
    func lastAppliedAllowsTakeover() throws {
        let live = Self.clientSideApplied(replicas: 3)
        let result = try Fixture.apply(Fixture.deployment(replicas: 5), to: live, as: "kubectl", time: Fixture.laterTime)
        #expect(result[path: ["spec", "replicas"]] == 5)
        #expect(try Fixture.fields(result, "kubectl").contains(Fixture.replicas))
        #expect(try !Fixture.fields(result, "kubectl-client-side-apply", .update).contains(Fixture.replicas))
        #expect(result.annotations[Self.annotation] == Fixture.deployment(replicas: 5).serialized() + "\n")
    }

    @Test("Fields changed since the last client-side apply still conflict for kubectl")
    func lastAppliedKeepsRealConflicts() throws {
        let created = Self.clientSideApplied(replicas: 3)
        var scaled = Fixture.content(created)
        scaled[path: ["spec", "replicas"]] = 4
        let live = ServerSideApply.recordUpdate(old: created, new: scaled, manager: "kubectl-scale", schema: .builtin, time: Fixture.laterTime)
        let error = try #require(Fixture.applyError(Fixture.deployment(replicas: 5), to: live, as: "kubectl"))
        #expect(error.message == #"Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas"#)
    }

    @Test("Other field managers get no last-applied leniency")
    func otherManagersConflict() throws {
        let live = Self.clientSideApplied(replicas: 3)
        let error = try #require(Fixture.applyError(Fixture.deployment(replicas: 5), to: live, as: "sluice"))
        #expect(error.message == #"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas"#)
    }

    @Test("Managed fields moved by a client to kubectl's Apply entry make kubectl prune what it drops")
    func upgradedManagedFields() throws {
        let live = Self.clientSideApplied(replicas: 3)
        let clientSide = try #require(try Fixture.entry(live, "kubectl-client-side-apply", .update))
        var upgraded = live
        var entry = clientSide
        entry.manager = "kubectl"
        entry.operation = .apply
        upgraded.setManagedFields([entry])
        let migrated = ServerSideApply.recordUpdate(old: live, new: upgraded, manager: "kubectl", schema: .builtin, time: Fixture.laterTime)
        #expect(try migrated.managedFieldsEntries() == [entry])

        var unlabelled = Fixture.deployment(replicas: 3)
        unlabelled[path: ["metadata", "labels"]] = nil
        let result = try Fixture.apply(unlabelled, to: migrated, as: "kubectl", time: Fixture.laterTime)
        #expect(result[path: ["metadata", "labels"]] == nil)
        #expect(result.name == "web")
        #expect(result.annotations[Self.annotation] == nil)
    }

    @Test("An update sending an empty managedFields list clears them and leaves the object untracked")
    func resetWithEmptyList() throws {
        let applied = try Fixture.apply(Fixture.configMap(data: ["a": "1"]), to: nil, as: "kubectl")
        var reset = Fixture.content(applied)
        reset[path: ["metadata", "managedFields"]] = []
        reset["data"] = ["a": "2"]
        let cleared = ServerSideApply.recordUpdate(old: applied, new: reset, manager: "editor", schema: .builtin, time: Fixture.laterTime)
        #expect(cleared[path: ["metadata", "managedFields"]] == nil)
        #expect(cleared["data"] == ["a": "2"])

        var next = cleared
        next["data"] = ["a": "3"]
        let untracked = ServerSideApply.recordUpdate(old: cleared, new: next, manager: "editor", schema: .builtin, time: Fixture.laterTime)
        #expect(untracked[path: ["metadata", "managedFields"]] == nil)
    }

    @Test("Beyond ten Update managers the oldest merge into ancient-changes")
    func capUpdateManagers() throws {
        var object = ServerSideApply.recordUpdate(
            old: nil, new: Fixture.configMap(data: ["k0": "v"]), manager: "writer-0", schema: .builtin, time: "2024-05-01T10:00:00Z")
        for index in 1...10 {
            var next = Fixture.content(object)
            next["data"]?["k\(index)"] = "v"
            let time = "2024-05-01T10:\(index < 10 ? "0" : "")\(index):00Z"
            object = ServerSideApply.recordUpdate(old: object, new: next, manager: "writer-\(index)", schema: .builtin, time: time)
        }
        let entries = try object.managedFieldsEntries()
        #expect(entries.count == 10)
        #expect(!entries.contains { $0.manager == "writer-0" || $0.manager == "writer-1" })
        let ancient = try #require(entries.first { $0.manager == "ancient-changes" })
        #expect(ancient.fields == FieldSet([["data"], ["data", "k0"], ["data", "k1"]]))
        #expect(ancient.time == "2024-05-01T10:01:00Z")
    }
}
