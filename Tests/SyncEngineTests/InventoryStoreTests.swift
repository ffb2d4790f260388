import Foundation
import KubeClient
import KubeModel
import Manifests
import SyncEngine
import Testing

/// The inventory ConfigMap against a real API: a large one is stored compressed, within the 1 MiB
/// a ConfigMap may hold, and reads back whole.
@Suite("Inventory ConfigMaps", .timeLimit(.minutes(8)))
struct InventoryStoreTests {
    static let configMap = GroupVersionKind(group: "", version: "v1", kind: "ConfigMap")

    static func objects(_ count: Int) -> Set<ObjectIdentity> {
        Set((0..<count).map { ObjectIdentity(group: "", kind: "ConfigMap", namespace: "team-\($0 % 50)", name: "application-settings-\($0)") })
    }

    @Test("an inventory of 40,000 objects (over 1 MiB as text) is stored compressed and reads back whole; a small one is plain text again")
    func largeInventoryIsCompressed() async throws {
        try await SyncFixture.with { fixture in
            let store = InventoryStore(client: fixture.client, app: "big", namespace: "sluice-system")
            let large = Inventory(revision: String(repeating: "a", count: 40), objects: Self.objects(40_000))
            let text = large.objects.map(\.description).joined(separator: "\n")
            #expect(text.utf8.count > 1 << 20)
            try await store.write(large)
            #expect(try await store.read() == large)
            let live = try await fixture.client.get(Self.configMap, namespace: "sluice-system", name: store.name)
            let encoded = try #require(live["binaryData"]?["objects.zlib"]?.stringValue)
            #expect(encoded.utf8.count < 1 << 20)
            #expect(live[path: ["data", "objects"]]?.stringValue == "")

            let small = Inventory(revision: String(repeating: "b", count: 40), objects: Self.objects(3))
            try await store.write(small)
            #expect(try await store.read() == small)
            let plain = try await fixture.client.get(Self.configMap, namespace: "sluice-system", name: store.name)
            #expect(plain["binaryData"]?["objects.zlib"] == nil)
            #expect(plain[path: ["data", "objectsSize"]] == nil)
        }
    }

    @Test("a damaged compressed inventory is an error naming the ConfigMap, never an empty list")
    func damagedInventoryIsAnError() async throws {
        try await SyncFixture.with { fixture in
            let store = InventoryStore(client: fixture.client, app: "big", namespace: "sluice-system")
            try await store.write(Inventory(revision: String(repeating: "a", count: 40), objects: Self.objects(20_000)))
            _ = try await fixture.client.mergePatch(
                Self.configMap, namespace: "sluice-system", name: store.name,
                patch: ["binaryData": ["objects.zlib": .string(Data("not zlib".utf8).base64EncodedString())]])
            let outcome: Result<Inventory?, KubeClientError>
            do throws(KubeClientError) {
                outcome = .success(try await store.read())
            } catch {
                outcome = .failure(error)
            }
            guard case .failure(let error) = outcome else {
                Issue.record("a damaged inventory was read")
                return
            }
            #expect(error.code == .invalid)
            #expect(error.message.contains("sluice-system/\(store.name)"), "\(error.message)")
        }
    }
}
