import Foundation
import Synchronization

/// The output of pods' containers, kept per pod and container, read by `pods/log` and followed by
/// `kubectl logs -f`. Logs are capped per container (the oldest output is dropped first).
final class PodLogStore: Sendable {
    struct Key: Hashable, Sendable {
        var namespace: String
        var pod: String
        var uid: String
        var container: String
    }

    private struct Entry {
        var bytes: [UInt8] = []
        var followers: [Int: AsyncStream<[UInt8]>.Continuation] = [:]
        var closed = false
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var nextFollower = 0
    }

    static let capacity = 4 << 20
    private let state = Mutex(State())

    /// Appends output.
    func append(_ key: Key, _ bytes: [UInt8]) {
        state.withLock { state in
            var entry = state.entries[key] ?? Entry()
            entry.bytes += bytes
            if entry.bytes.count > Self.capacity { entry.bytes.removeFirst(entry.bytes.count - Self.capacity) }
            for follower in entry.followers.values { follower.yield(bytes) }
            state.entries[key] = entry
        }
    }

    /// Marks a container's output complete: followers' streams end.
    func close(_ key: Key) {
        let followers = state.withLock { state -> [AsyncStream<[UInt8]>.Continuation] in
            var entry = state.entries[key] ?? Entry()
            entry.closed = true
            let followers = Array(entry.followers.values)
            entry.followers.removeAll()
            state.entries[key] = entry
            return followers
        }
        for follower in followers { follower.finish() }
    }

    /// Forgets a pod's logs (the pod was deleted).
    func remove(namespace: String, pod: String, uid: String) {
        let removed = state.withLock { state -> [Entry] in
            let keys = state.entries.keys.filter { $0.namespace == namespace && $0.pod == pod && $0.uid == uid }
            return keys.compactMap { state.entries.removeValue(forKey: $0) }
        }
        for entry in removed { for follower in entry.followers.values { follower.finish() } }
    }

    func read(_ key: Key, tailLines: Int?) -> [UInt8] {
        let bytes = state.withLock { $0.entries[key]?.bytes ?? [] }
        return Self.tail(bytes, lines: tailLines)
    }

    /// The output so far, then new output as it comes, until the container ends (`finished` is
    /// asked when nothing has been written, since a pod that already ended has no writer left).
    func follow(_ key: Key, tailLines: Int?, finished: @escaping @Sendable () -> Bool) -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        let id = state.withLock { state -> Int in
            let entry = state.entries[key] ?? Entry()
            let initial = Self.tail(entry.bytes, lines: tailLines)
            if !initial.isEmpty { continuation.yield(initial) }
            if entry.closed {
                continuation.finish()
                return -1
            }
            let id = state.nextFollower
            state.nextFollower += 1
            state.entries[key, default: Entry()].followers[id] = continuation
            return id
        }
        if id >= 0 && finished() {
            state.withLock { _ = $0.entries[key]?.followers.removeValue(forKey: id) }
            continuation.finish()
        }
        // Not on the terminating task's stack: it holds the runtime's task lock, and `append`
        // yields to followers while holding this store's lock (see ObjectStore.watch).
        continuation.onTermination = { [weak self] _ in
            guard let logs = self else { return }
            DispatchQueue.global().async {
                logs.state.withLock { _ = $0.entries[key]?.followers.removeValue(forKey: id) }
            }
        }
        return stream
    }

    private static func tail(_ bytes: [UInt8], lines: Int?) -> [UInt8] {
        guard let lines, lines >= 0 else { return bytes }
        var count = 0
        var index = bytes.endIndex
        if index > 0 && bytes[index - 1] == UInt8(ascii: "\n") { index -= 1 }
        while index > 0 {
            if bytes[index - 1] == UInt8(ascii: "\n") {
                count += 1
                if count == lines { return Array(bytes[index...]) }
            }
            index -= 1
        }
        return lines == 0 ? [] : bytes
    }
}
