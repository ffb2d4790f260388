import KubeModel
import Manifests
import SyncEngine
import Testing

@Suite struct PrunePlanTests {
    static func identity(_ name: String, kind: String = "ConfigMap") -> ObjectIdentity {
        ObjectIdentity(group: "", kind: kind, namespace: "default", name: name)
    }

    static func owned(_ name: String, wave: Int = 0, prune: Bool = true, pruneLast: Bool = false, kind: String = "ConfigMap")
        -> InventoryObject
    {
        InventoryObject(identity: identity(name, kind: kind), prune: prune, pruneLast: pruneLast, wave: wave)
    }

    @Test func onlyObjectsTheNewRevisionNoLongerHasArePruned() throws {
        let plan = try PrunePlan.plan(
            inventory: [Self.owned("kept"), Self.owned("gone"), Self.owned("also-gone", kind: "Secret")],
            desired: [Self.identity("kept"), Self.identity("new")], lastSyncWave: 0)
        #expect(plan.prunes.map(\.identity) == [Self.identity("also-gone", kind: "Secret"), Self.identity("gone")])
        #expect(plan.kept.isEmpty)
    }

    @Test func objectsMarkedPruneFalseAreKept() throws {
        let plan = try PrunePlan.plan(
            inventory: [Self.owned("kept"), Self.owned("protected", prune: false), Self.owned("gone")],
            desired: [Self.identity("kept")], lastSyncWave: 0)
        #expect(plan.prunes.map(\.identity.name) == ["gone"])
        #expect(plan.kept == [Self.identity("protected")])
    }

    struct WaveRow: Sendable, CustomTestStringConvertible {
        var label: String
        var waves: [String: Int]
        var expected: [String: Int]
        var testDescription: String { label }
    }

    static let waveRows: [WaveRow] = [
        WaveRow(label: "one wave stays where it is", waves: ["a": 2, "b": 2], expected: ["a": 2, "b": 2]),
        WaveRow(label: "two waves swap", waves: ["a": 0, "b": 1], expected: ["a": 1, "b": 0]),
        WaveRow(label: "the middle of an odd count stays", waves: ["a": 1, "b": 2, "c": 5], expected: ["a": 5, "b": 2, "c": 1]),
        WaveRow(
            label: "distinct waves mirror smallest with largest", waves: ["a": -1, "b": 0, "c": 3, "d": 5, "e": 5],
            expected: ["a": 5, "b": 3, "c": 0, "d": -1, "e": -1]),
    ]

    @Test(arguments: waveRows)
    func pruneWavesAreMirrored(_ row: WaveRow) throws {
        let inventory = row.waves.map { Self.owned($0.key, wave: $0.value) } + [Self.owned("stays")]
        let plan = try PrunePlan.plan(inventory: inventory, desired: [Self.identity("stays")], lastSyncWave: 0)
        let waves = Dictionary(uniqueKeysWithValues: plan.prunes.map { ($0.identity.name, $0.wave) })
        #expect(waves == row.expected)
        #expect(plan.prunes.map(\.wave) == plan.prunes.map(\.wave).sorted())
    }

    @Test(arguments: [(3, 4), (-4, 1), (nil, 1), (1, 6)] as [(Int?, Int)])
    func pruneLastComesAfterTheLastSyncWaveAndTheOtherPrunes(lastSyncWave: Int?, expected: Int) throws {
        let inventory = [
            Self.owned("last", wave: 9, pruneLast: true), Self.owned("early", wave: 0),
            Self.owned("late", wave: lastSyncWave == 1 ? 5 : 0), Self.owned("stays"),
        ]
        let plan = try PrunePlan.plan(inventory: inventory, desired: [Self.identity("stays")], lastSyncWave: lastSyncWave)
        let last = try #require(plan.prunes.last)
        #expect(last.identity.name == "last")
        #expect(last.pruneLast)
        #expect(last.wave == expected)
        #expect(plan.waves.last == expected)
    }

    @Test func aRevisionThatWouldPruneEverythingIsRefused() {
        #expect {
            try PrunePlan.plan(inventory: [Self.owned("a"), Self.owned("b")], desired: [Self.identity("unrelated")], lastSyncWave: 0)
        } throws: { error in
            (error as? SyncEngineError)?.code == .emptyRevision
        }
    }

    @Test func allowEmptyLetsARevisionPruneEverything() throws {
        let plan = try PrunePlan.plan(inventory: [Self.owned("a"), Self.owned("b")], desired: [], lastSyncWave: nil, allowEmpty: true)
        #expect(plan.prunes.map(\.identity.name) == ["a", "b"])
    }

    @Test func objectsKeptByPruneFalseDoNotLiftTheGuard() {
        #expect(throws: SyncEngineError.self) {
            try PrunePlan.plan(inventory: [Self.owned("a"), Self.owned("b", prune: false)], desired: [], lastSyncWave: nil)
        }
    }

    @Test func nothingToPruneIsNeverRefused() throws {
        #expect(try PrunePlan.plan(inventory: [], desired: [], lastSyncWave: nil).prunes.isEmpty)
        let protected = try PrunePlan.plan(inventory: [Self.owned("a", prune: false)], desired: [], lastSyncWave: nil)
        #expect(protected.prunes.isEmpty && protected.kept == [Self.identity("a")])
    }

    @Test func pruneOptionsAndWavesAreReadFromTheLiveObject() {
        func live(_ annotations: [String: String]) -> JSONValue {
            var object = liveObject("v1", "ConfigMap")
            object.annotations = annotations
            return object
        }
        let id = Self.identity("a")
        #expect(InventoryObject(identity: id, live: live([:])) == InventoryObject(identity: id))
        #expect(
            InventoryObject(
                identity: id,
                live: live(["argocd.argoproj.io/sync-options": "PruneLast=true, Prune=false", "argocd.argoproj.io/sync-wave": "-3"]))
                == InventoryObject(identity: id, prune: false, pruneLast: true, wave: -3))
        #expect(InventoryObject(identity: id, live: live(["helm.sh/hook-weight": "4"])).wave == 4)
        // A bad hook timeout must not make Sluice forget Prune=false.
        #expect(
            !InventoryObject(
                identity: id, live: live(["argocd.argoproj.io/sync-options": "Prune=false", "sluice.dev/hook-timeout": "soon"])
            )
            .prune)
    }
}
