import Foundation
import KubeModel
import Synchronization

/// The store's durable form: an append-only log of writes, one JSON line each, in the data
/// directory. Loading replays it and then rewrites it compacted (one line per live object), so it
/// never grows beyond the state plus the writes since the last start.
///
/// Lines are written with `write(2)` as they happen (they survive the process being killed); there
/// is no `fsync` per write, which a laptop cluster does not need and which would cap throughput.
final class StoreLog: Sendable {
    struct Restored {
        var revision: Int64
        var buckets: [GroupResource: [ObjectKey: JSONValue]]
        /// The writes since the last compaction, as events, so that watches can resume across a restart.
        var events: [StoreEvent] = []
    }

    private let path: String
    private let descriptor = Mutex<Int32>(-1)

    init(directory: URL) {
        path = directory.appendingPathComponent("objects.log").path
    }

    /// Replays the log, writes it back compacted, and opens it for appending.
    func load() throws -> Restored {
        var restored = Restored(revision: 1, buckets: [:])
        if let data = FileManager.default.contents(atPath: path) {
            var compacted = false
            for line in data.split(separator: UInt8(ascii: "\n")) {
                // A torn last line (the process was killed mid-write) is dropped.
                guard let entry = try? JSONValue.parse(line) else { continue }
                if entry["compacted"] == true {
                    compacted = true
                    restored.events.removeAll()
                    continue
                }
                apply(entry, to: &restored, recordEvents: compacted)
            }
            if !compacted { restored.events.removeAll() }
        }
        try compact(restored)
        return restored
    }

    private func apply(_ entry: JSONValue, to restored: inout Restored, recordEvents: Bool) {
        guard let resourceText = entry["r"]?.stringValue, let revision = entry["v"]?.intValue else { return }
        let parts = resourceText.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !(parts[0].isEmpty && parts[1].isEmpty) else {
            restored.revision = max(restored.revision, revision)
            return
        }
        let resource = GroupResource(group: String(parts[0]), resource: String(parts[1]))
        restored.revision = max(restored.revision, revision)
        if let object = entry["o"] {
            let key = ObjectKey(namespace: object.namespace ?? "", name: object.name ?? "")
            let previous = restored.buckets[resource]?[key]
            restored.buckets[resource, default: [:]][key] = object
            if recordEvents {
                restored.events.append(StoreEvent(revision: revision, kind: previous == nil ? .added : .modified, resource: resource, object: object, previous: previous))
            }
        } else if let namespace = entry["ns"]?.stringValue, let name = entry["n"]?.stringValue {
            let key = ObjectKey(namespace: namespace, name: name)
            if let previous = restored.buckets[resource]?[key], recordEvents {
                var deleted = previous
                deleted.resourceVersion = String(revision)
                restored.events.append(StoreEvent(revision: revision, kind: .deleted, resource: resource, object: deleted, previous: previous))
            }
            restored.buckets[resource]?[key] = nil
        }
    }

    private func compact(_ restored: Restored) throws {
        let temporary = path + ".tmp"
        var text = ""
        // The revision is kept even when no object carries it (the last write was a delete).
        text += JSONValue.object(["r": "/", "v": .int(restored.revision)]).serialized() + "\n"
        for (resource, bucket) in restored.buckets {
            for key in bucket.keys.sorted() {
                guard let object = bucket[key] else { continue }
                let revision = Int64(object.resourceVersion ?? "") ?? restored.revision
                text += Self.line(resource: resource, revision: revision, object: object, key: key)
            }
        }
        // Lines after this marker are writes made since; the next start replays them as watch history.
        text += JSONValue.object(["r": "/", "v": .int(restored.revision), "compacted": true]).serialized() + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        if rename(temporary, path) != 0 {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        descriptor.withLock { $0 = fd }
    }

    private static func line(resource: GroupResource, revision: Int64, object: JSONValue?, key: ObjectKey) -> String {
        var entry: JSONValue = ["r": .string(resource.group + "/" + resource.resource), "v": .int(revision)]
        if let object {
            entry["o"] = object
        } else {
            entry["ns"] = .string(key.namespace)
            entry["n"] = .string(key.name)
        }
        return entry.serialized() + "\n"
    }

    /// Appends one write.
    func append(_ event: StoreEvent, key: ObjectKey) throws {
        // Not `nil` in a conditional expression: JSONValue is nil-literal expressible and would take it as `.null`.
        let object: JSONValue? = event.kind == .deleted ? Optional.none : Optional.some(event.object)
        let text = Self.line(resource: event.resource, revision: event.revision, object: object, key: key)
        try descriptor.withLock { fd in
            guard fd >= 0 else { return }
            var bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeMutableBytes { buffer in
                    Foundation.write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                }
                offset += written
            }
            bytes.removeAll()
        }
    }

    /// Closes the file.
    func close() {
        descriptor.withLock { fd in
            if fd >= 0 { Foundation.close(fd) }
            fd = -1
        }
    }
}
