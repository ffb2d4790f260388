import Foundation
import KubeModel
import Synchronization

/// Where an object lives within its resource: namespace (empty for cluster-scoped) and name.
struct ObjectKey: Hashable, Sendable, Comparable {
    var namespace: String
    var name: String

    static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        lhs.namespace == rhs.namespace ? lhs.name < rhs.name : lhs.namespace < rhs.namespace
    }
}

/// A change to the store, as watches deliver it.
struct StoreEvent: Sendable {
    enum Kind: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
    }

    var revision: Int64
    var kind: Kind
    var resource: GroupResource
    var object: JSONValue
    /// The object before the change (nil for an addition).
    var previous: JSONValue?
}

/// What a mutation decided to do with an object.
enum StoreMutation: Sendable {
    case put(JSONValue)
    case delete
    case unchanged
}

/// The cluster's state: every object by resource and key, one global revision counter, a window
/// of recent events for watches that resume from a resourceVersion, and the live watchers.
///
/// All writes go through one lock: a mutation reads the current object, decides, and stores in one
/// critical section, so concurrent writers see each other (stale updates get 409s, patches are
/// never lost). Storage itself is a write-ahead log (see ``StoreLog``).
final class ObjectStore: Sendable {
    private struct Watcher {
        var resource: GroupResource?
        var namespace: String?
        var continuation: AsyncStream<StoreEvent>.Continuation
    }

    private struct State {
        var revision: Int64 = 1
        var buckets: [GroupResource: [ObjectKey: JSONValue]] = [:]
        var history: [StoreEvent] = []
        var historyStart = 0
        var watchers: [Int: Watcher] = [:]
        var nextWatcherID = 0
        var owners = OwnerIndex()
    }

    /// How many events watches can resume from.
    static let historyLimit = 50_000

    private let state = Mutex(State())
    private let log: StoreLog?

    /// Opens a store, replaying `log` when given (state kept across restarts).
    init(log: StoreLog?) throws {
        self.log = log
        if let log {
            let restored = try log.load()
            state.withLock { state in
                state.revision = max(restored.revision, 1)
                state.buckets = restored.buckets
                // Data written before events.k8s.io Events were kept with the core ones.
                if let separate = state.buckets.removeValue(forKey: EventVersions.eventsV1) {
                    for (key, object) in separate where state.buckets[EventVersions.core]?[key] == nil {
                        state.buckets[EventVersions.core, default: [:]][key] = EventVersions.toCore(object)
                    }
                }
                state.history = Array(restored.events.suffix(Self.historyLimit))
                state.historyStart = 0
                for (resource, bucket) in restored.buckets {
                    for (key, object) in bucket { state.owners.update(ObjectRef(resource: resource, key: key), old: nil, new: object) }
                }
            }
        }
    }

    /// The current revision: the resourceVersion of the last write.
    var revision: Int64 { state.withLock { $0.revision } }

    /// One object.
    ///
    /// Resources that are views of another (events.k8s.io Events of the core ones) read and write
    /// that one's objects, in its form: the API's `present` shows them in the requested version.
    func get(_ resource: GroupResource, _ key: ObjectKey) -> JSONValue? {
        state.withLock { $0.buckets[EventVersions.storage(for: resource)]?[key] }
    }

    /// The objects of a resource, in one namespace or all, sorted by namespace and name, with the
    /// revision the list is consistent at.
    func list(_ resource: GroupResource, namespace: String?) -> (items: [JSONValue], revision: Int64) {
        state.withLock { state in
            let bucket = state.buckets[EventVersions.storage(for: resource)] ?? [:]
            let keys = bucket.keys.filter { namespace == nil || $0.namespace == namespace }.sorted()
            return (keys.compactMap { bucket[$0] }, state.revision)
        }
    }

    /// Reads the ownership index, consistent with the stored objects.
    func withOwnerIndex<T>(_ body: (OwnerIndex) -> T) -> T {
        state.withLock { body($0.owners) }
    }

    /// The objects whose `ownerReferences` name `uid`, sorted.
    func dependents(of uid: String) -> [ObjectRef] {
        state.withLock { Array($0.owners.dependents[uid] ?? []) }.sorted { $0.key < $1.key }
    }

    /// Where the object with `uid` is, if it exists.
    func ref(forUID uid: String) -> ObjectRef? {
        state.withLock { $0.owners.byUID[uid] }
    }

    /// Every resource that has at least one object in `namespace`.
    func resources(withObjectsIn namespace: String) -> [GroupResource] {
        state.withLock { state in
            state.buckets.compactMap { resource, bucket in
                bucket.keys.contains { $0.namespace == namespace } ? resource : nil
            }
        }
    }

    /// Reads the object at `key`, lets `decide` choose what to do with it, and applies that, all
    /// under the store's lock. A put gets the next resourceVersion. Returns the stored object (the
    /// deleted one for a delete, the current one when unchanged).
    @discardableResult
    func mutate(
        _ resource: GroupResource, _ key: ObjectKey, dryRun: Bool = false,
        _ decide: (JSONValue?) throws(APIStatus) -> StoreMutation
    ) throws(APIStatus) -> JSONValue? {
        let requested = resource
        let resource = EventVersions.storage(for: requested)
        return try state.withLock { (state) throws(APIStatus) -> JSONValue? in
            let current = state.buckets[resource]?[key]
            // The request decides on the object as its version shows it; it is stored in the storage form.
            let mutation = try decide(current.map { EventVersions.view($0, as: requested) })
            switch mutation {
            case .unchanged:
                return current
            case .put(let written):
                var object = resource == requested ? written : EventVersions.toCore(written)
                if dryRun {
                    // A dry run shows what would be stored without taking a revision.
                    if current == nil { object.resourceVersion = nil }
                    return object
                }
                state.revision += 1
                object.resourceVersion = String(state.revision)
                state.buckets[resource, default: [:]][key] = object
                state.owners.update(ObjectRef(resource: resource, key: key), old: current, new: object)
                let event = StoreEvent(
                    revision: state.revision, kind: current == nil ? .added : .modified, resource: resource,
                    object: object, previous: current)
                try record(event, key: key, in: &state)
                return object
            case .delete:
                guard let current else { return nil }
                if dryRun { return current }
                state.revision += 1
                state.buckets[resource]?[key] = nil
                state.owners.update(ObjectRef(resource: resource, key: key), old: current, new: nil)
                var deleted = current
                deleted.resourceVersion = String(state.revision)
                let event = StoreEvent(revision: state.revision, kind: .deleted, resource: resource, object: deleted, previous: current)
                try record(event, key: key, in: &state)
                return deleted
            }
        }
    }

    private func record(_ event: StoreEvent, key: ObjectKey, in state: inout State) throws(APIStatus) {
        do {
            try log?.append(event, key: key)
        } catch {
            throw APIStatus.internalError("the cluster's state could not be written: \(error)")
        }
        state.history.append(event)
        if state.history.count - state.historyStart > Self.historyLimit {
            state.historyStart += Self.historyLimit / 10
            if state.historyStart > state.history.count / 2 {
                state.history.removeFirst(state.historyStart)
                state.historyStart = 0
            }
        }
        for watcher in state.watchers.values {
            if let resource = watcher.resource, resource != event.resource { continue }
            if let namespace = watcher.namespace, namespace != key.namespace { continue }
            watcher.continuation.yield(event)
        }
    }

    /// Where a watch starts.
    enum WatchStart: Sendable {
        /// After this resourceVersion: every later event is replayed, then live ones follow.
        case after(Int64)
        /// Now, with a synthetic ADDED event for each existing object first (`resourceVersion` unset or "0").
        case withInitialState
    }

    /// A stream of the events of one resource (or all, for the cluster's own controllers),
    /// optionally in one namespace. 410 Gone when `start` is older than the kept history.
    func watch(_ resource: GroupResource?, namespace: String?, start: WatchStart) throws(APIStatus) -> (
        events: AsyncStream<StoreEvent>, cancel: @Sendable () -> Void, initialCount: Int, revision: Int64
    ) {
        let resource = resource.map(EventVersions.storage(for:))
        let (stream, continuation) = AsyncStream<StoreEvent>.makeStream()
        var initialCount = 0
        var startRevision: Int64 = 0
        let id = try state.withLock { (state) throws(APIStatus) -> Int in
            startRevision = state.revision
            switch start {
            case .after(let revision):
                let kept = state.history[state.historyStart...]
                if revision < state.revision {
                    if let oldest = kept.first, oldest.revision > revision + 1 {
                        throw APIStatus.gone("too old resource version: \(revision) (\(oldest.revision - 1))")
                    }
                    if kept.isEmpty && revision < state.revision {
                        throw APIStatus.gone("too old resource version: \(revision) (\(state.revision))")
                    }
                }
                for event in kept where event.revision > revision {
                    if let resource, resource != event.resource { continue }
                    if let namespace, namespace != event.object.namespace ?? "" { continue }
                    continuation.yield(event)
                }
            case .withInitialState:
                let resources = resource.map { [$0] } ?? Array(state.buckets.keys)
                for resource in resources {
                    let bucket = state.buckets[resource] ?? [:]
                    for key in bucket.keys.sorted() where namespace == nil || key.namespace == namespace {
                        if let object = bucket[key] {
                            initialCount += 1
                            continuation.yield(
                                StoreEvent(
                                    revision: Int64(object.resourceVersion ?? "") ?? state.revision, kind: .added,
                                    resource: resource, object: object))
                        }
                    }
                }
            }
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[id] = Watcher(resource: resource, namespace: namespace, continuation: continuation)
            return id
        }
        // The removal never runs on the caller's stack: `onTermination` is called while the
        // runtime holds the consuming task's status lock, and the store yields to watchers while
        // holding its own lock, so taking the store's lock here could deadlock the two.
        let cancel: @Sendable () -> Void = { [weak self] in
            guard let store = self else { return }
            DispatchQueue.global().async {
                let removed = store.state.withLock { $0.watchers.removeValue(forKey: id) }
                removed?.continuation.finish()
            }
        }
        continuation.onTermination = { _ in cancel() }
        return (stream, cancel, initialCount, startRevision)
    }

    /// How many watches are open (the cluster's own controllers hold one).
    var watcherCount: Int { state.withLock { $0.watchers.count } }

    /// Ends every watch (the server is stopping).
    func finishWatches() {
        let watchers = state.withLock { state in
            defer { state.watchers.removeAll() }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.continuation.finish() }
    }

    /// Flushes and closes the log.
    func close() {
        log?.close()
    }
}
