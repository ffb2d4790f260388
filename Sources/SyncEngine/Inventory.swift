import Foundation
import KubeClient
import KubeModel
import Manifests

/// The cluster-side record of what an application owns: one ConfigMap per application in the
/// agent's namespace, listing the objects Sluice applied and the last revision applied in full.
///
/// A fresh agent with an empty state directory resumes from it, and pruning never touches an object
/// it does not list (DESIGN.md, "State"). It is written with one server-side apply, so a reader sees
/// the old list or the new one, never half of each.
public struct Inventory: Sendable, Hashable {
    /// The last revision synced successfully, `nil` before the first success.
    public var revision: String?
    /// Every object Sluice applied for the application and has not pruned since.
    public var objects: Set<ObjectIdentity>

    /// An inventory from its parts.
    public init(revision: String? = nil, objects: Set<ObjectIdentity> = []) {
        self.revision = revision
        self.objects = objects
    }
}

/// An inventory as read from its ConfigMap, before its object list is parsed
/// (``InventoryStore/readUnparsed()``).
public struct StoredInventory: Sendable {
    /// The last revision synced successfully, `nil` before the first success.
    public let revision: String?
    /// The `group/kind/namespace/name` lines.
    let objectList: String

    /// The inventory, its object list parsed (malformed lines are skipped).
    public func parsed() -> Inventory {
        Inventory(revision: revision, objects: InventoryStore.parseObjects(objectList))
    }
}

/// Reads and writes one application's inventory ConfigMap.
public struct InventoryStore: Sendable {
    /// The label every inventory ConfigMap carries, with the application's name as its value.
    public static let appLabel = "sluice.dev/inventory-of"
    /// The ConfigMap's kind.
    static let configMap = GroupVersionKind(group: "", version: "v1", kind: "ConfigMap")
    static let namespaceKind = GroupVersionKind(group: "", version: "v1", kind: "Namespace")

    /// The application.
    public let app: String
    /// The namespace the ConfigMap lives in (the agent's).
    public let namespace: String
    let client: KubeClient

    /// A store for `app`'s inventory in `namespace`.
    public init(client: KubeClient, app: String, namespace: String) {
        self.client = client
        self.app = app
        self.namespace = namespace
    }

    /// The ConfigMap's name: `sluice-inventory-` and the application's name made a valid object name.
    public var name: String {
        let cleaned = app.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") ? $0 : "-" }
        var name = "sluice-inventory-" + String(cleaned)
        if name.utf8.count > 253 { name = String(name.prefix(253)) }
        while name.hasSuffix("-") || name.hasSuffix(".") { name.removeLast() }
        return name
    }

    /// The inventory, or `nil` when the application has none yet.
    public func read() async throws(KubeClientError) -> Inventory? {
        try await readUnparsed()?.parsed()
    }

    /// The inventory with its object list not parsed yet, or `nil` when the application has none
    /// yet: the revision is known at once, and the list (tens of thousands of lines for a large
    /// application) can be parsed while other work goes on.
    public func readUnparsed() async throws(KubeClientError) -> StoredInventory? {
        guard let live = try await client.getIfPresent(Self.configMap, ObjectIdentity(group: "", kind: "ConfigMap", namespace: namespace, name: name))
        else { return nil }
        let data = live["data"]
        let revision = data?["revision"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        if let encoded = live["binaryData"]?[Self.compressedKey]?.stringValue {
            // A large inventory, stored compressed; damage is an error, never an empty list (which
            // would make Sluice forget what it owns).
            guard let size = data?["objectsSize"]?.stringValue.flatMap({ Int($0) }), let compressed = Data(base64Encoded: encoded),
                let bytes = Zlib.decompress(Array(compressed), size: size)
            else {
                throw KubeClientError(.invalid, "the inventory ConfigMap \(namespace)/\(name) is damaged: binaryData.\(Self.compressedKey) does not decompress")
            }
            return StoredInventory(revision: revision, objectList: String(decoding: bytes, as: UTF8.self))
        }
        return StoredInventory(revision: revision, objectList: data?["objects"]?.stringValue ?? "")
    }

    /// Above this many bytes the object list is stored zlib-compressed in `binaryData` (a
    /// ConfigMap holds at most 1 MiB: about 25,000 objects as text, ten times more compressed).
    static let compressAbove = 256 * 1024
    /// The `binaryData` key of a compressed object list.
    static let compressedKey = "objects.zlib"

    /// Writes the inventory (creating the namespace when missing).
    public func write(_ inventory: Inventory) async throws(KubeClientError) {
        var objects = inventory.objects.sorted().map(\.description).joined(separator: "\n")
        var binaryData: JSONValue?
        var size: JSONValue?
        if objects.utf8.count > Self.compressAbove {
            let bytes = Array(objects.utf8)
            let compressed: [UInt8]
            do {
                compressed = try Zlib.compress(bytes)
            } catch {
                throw KubeClientError(.invalid, "cannot compress the inventory of \(app): \(error)")
            }
            binaryData = [Self.compressedKey: .string(Data(compressed).base64EncodedString())]
            size = .string(String(bytes.count))
            objects = ""
        }
        var configMap: JSONValue = [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace),
                "labels": .object([Self.appLabel: .string(labelValue), "app.kubernetes.io/managed-by": "sluice"]),
                "annotations": ["sluice.dev/app": .string(app)],
            ],
            "data": ["app": .string(app), "revision": .string(inventory.revision ?? ""), "objects": .string(objects)],
        ]
        // Left out when not compressed: the server-side apply then removes what an earlier write set.
        if let binaryData, let size {
            configMap["binaryData"] = binaryData
            configMap[path: ["data", "objectsSize"]] = size
        }
        do {
            _ = try await client.apply(configMap)
        } catch {
            guard error.code == .notFound else { throw error }
            try await client.ensureNamespace(namespace)
            _ = try await client.apply(configMap)
        }
    }

    /// The `group/kind/namespace/name` lines of the ConfigMap, read byte by byte (an inventory of
    /// tens of thousands of objects is read on every sync and plan); malformed lines are skipped.
    static func parseObjects(_ text: String) -> Set<ObjectIdentity> {
        var result = Set<ObjectIdentity>()
        var text = text
        text.withUTF8 { bytes in
            // One line per object: sized once, not grown (and rehashed) a dozen times.
            result.reserveCapacity(bytes.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 })
            var lineStart = 0
            var slashes: [Int] = []
            slashes.reserveCapacity(4)
            func field(_ from: Int, _ to: Int) -> String {
                String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<to]), as: UTF8.self)
            }
            for index in 0...bytes.count {
                let byte: UInt8 = index < bytes.count ? bytes[index] : UInt8(ascii: "\n")
                if byte == UInt8(ascii: "/") {
                    slashes.append(index)
                } else if byte == UInt8(ascii: "\n") {
                    if slashes.count == 3, slashes[1] > slashes[0] + 1, index > slashes[2] + 1 {
                        result.insert(
                            ObjectIdentity(
                                group: field(lineStart, slashes[0]), kind: field(slashes[0] + 1, slashes[1]),
                                namespace: field(slashes[1] + 1, slashes[2]), name: field(slashes[2] + 1, index)))
                    }
                    slashes.removeAll(keepingCapacity: true)
                    lineStart = index + 1
                }
            }
        }
        return result
    }

    /// The application's name as a label value (63 characters of `[A-Za-z0-9._-]`, alphanumeric ends).
    var labelValue: String {
        var value = String(app.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") ? $0 : "-" }.prefix(63))
        while let last = value.last, !(last.isLetter || last.isNumber) { value.removeLast() }
        while let first = value.first, !(first.isLetter || first.isNumber) { value.removeFirst() }
        return value
    }
}
