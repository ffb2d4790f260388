import Foundation
import KubeClient
import KubeModel
import Manifests

/// Waits for a live object to reach a state, following it with a watch rather than polling.
///
/// Each wait reads the object once, and if it is not there yet, watches it by name from that read's
/// resourceVersion: every change is judged as it happens, so a wait ends as soon as the object gets
/// there, and no change is missed between the read and the watch.
struct ObjectWaiter: Sendable {
    /// What a judge says about the object's current state (`nil` when it does not exist).
    enum Verdict<Result: Sendable>: Sendable {
        case wait
        case done(Result)
    }

    let client: KubeClient

    /// Waits until `judge` returns `.done` for the object, or throws ``SyncEngineError`` `timeout`
    /// at `deadline` with `describe(last state)` as the message. While it waits, `tick` (when given)
    /// is called with the last state every `every`, for progress.
    func wait<Result: Sendable>(
        _ gvk: GroupVersionKind, namespace: String, name: String, deadline: ContinuousClock.Instant,
        every: Duration = .seconds(5), tick: (@Sendable (JSONValue?) -> Void)? = nil,
        describe: @escaping @Sendable (JSONValue?) -> String,
        judge: @escaping @Sendable (JSONValue?) -> Verdict<Result>
    ) async throws -> Result {
        let namespaceArgument: String? = namespace.isEmpty ? nil : namespace
        let box = LastSeen()
        let work: @Sendable () async throws -> Result = {
            let initial = try await client.getIfPresent(gvk, ObjectIdentity(group: gvk.group, kind: gvk.kind, namespace: namespace, name: name))
            box.set(initial)
            if case .done(let result) = judge(initial) { return result }
            // Without a resourceVersion (the object is missing) the watch starts with the current state.
            let events = client.watch(gvk, namespace: namespaceArgument, name: name, resourceVersion: initial?.resourceVersion)
            for try await event in events {
                let state: JSONValue? = event.type == "DELETED" ? nil : event.object
                guard event.type != "BOOKMARK", event.type != "ERROR" else { continue }
                box.set(state)
                if case .done(let result) = judge(state) { return result }
            }
            try Task.checkCancellation()
            throw SyncEngineError(.timeout, "the watch of \(name) ended")
        }
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            if let tick { group.addTask { try await Self.repeating(every: every) { tick(box.get()) } } }
            defer { group.cancelAll() }
            guard let first = try await group.next() else {
                throw SyncEngineError(.timeout, describe(box.get()))
            }
            guard let result = first else { throw SyncEngineError(.timeout, describe(box.get())) }
            return result
        }
    }

    /// Waits until `judge` returns `.done` for every named object of one kind in one namespace, with
    /// one list and one watch for all of them (many objects of a kind would otherwise need a watch
    /// each). Returns each object's result; throws ``SyncEngineError`` `timeout` at `deadline` with
    /// `describe` of the objects still waited for. `tick` (when given) is called with them every
    /// `every`, for progress.
    func waitAll<Result: Sendable>(
        _ gvk: GroupVersionKind, namespace: String, names: Set<String>, deadline: ContinuousClock.Instant,
        every: Duration = .seconds(5), tick: (@Sendable ([String: JSONValue?]) -> Void)? = nil,
        describe: @escaping @Sendable ([String: JSONValue?]) -> String,
        judge: @escaping @Sendable (JSONValue?) -> Verdict<Result>
    ) async throws -> [String: Result] {
        let namespaceArgument: String? = namespace.isEmpty ? nil : namespace
        let pending = PendingSet(names)
        let work: @Sendable () async throws -> [String: Result] = {
            let list = try await client.list(gvk, namespace: namespaceArgument)
            var results: [String: Result] = [:]
            var seen = Set<String>()
            for item in list.items {
                guard let name = item.name, names.contains(name) else { continue }
                seen.insert(name)
                pending.set(name, item)
                if case .done(let result) = judge(item) {
                    results[name] = result
                    pending.finish(name)
                }
            }
            for name in names.subtracting(seen) {
                if case .done(let result) = judge(nil) {
                    results[name] = result
                    pending.finish(name)
                }
            }
            if results.count == names.count { return results }
            for try await event in client.watch(gvk, namespace: namespaceArgument, resourceVersion: list.resourceVersion) {
                guard let name = event.object.name, names.contains(name), results[name] == nil else { continue }
                guard event.type != "BOOKMARK", event.type != "ERROR" else { continue }
                let state: JSONValue? = event.type == "DELETED" ? nil : event.object
                pending.set(name, state)
                if case .done(let result) = judge(state) {
                    results[name] = result
                    pending.finish(name)
                    if results.count == names.count { return results }
                }
            }
            try Task.checkCancellation()
            throw SyncEngineError(.timeout, "the watch of \(gvk.kind) ended")
        }
        return try await withThrowingTaskGroup(of: [String: Result]?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            if let tick { group.addTask { try await Self.repeating(every: every) { tick(pending.waiting()) } } }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let results = first else {
                throw SyncEngineError(.timeout, describe(pending.waiting()))
            }
            return results
        }
    }

    /// Calls `body` every `interval` until cancelled; never returns otherwise (a wait's progress
    /// ticker, a child beside the wait that ends when the wait does).
    static func repeating<T>(every interval: Duration, _ body: @Sendable () -> Void) async throws -> T {
        while true {
            try await Task.sleep(for: interval)
            body()
        }
    }

    /// Waits until the object no longer exists (after a delete; finalizers may hold it a while).
    func waitGone(_ gvk: GroupVersionKind, namespace: String, name: String, deadline: ContinuousClock.Instant) async throws {
        let _: Bool = try await wait(
            gvk, namespace: namespace, name: name, deadline: deadline,
            describe: { live in
                let finalizers = live?.finalizers ?? []
                return "\(gvk.kind) \(name) was not gone in time"
                    + (finalizers.isEmpty ? "" : " (finalizers: \(finalizers.joined(separator: ", ")))")
            },
            judge: { $0 == nil ? .done(true) : .wait })
    }
}

/// The objects a ``ObjectWaiter/waitAll(_:namespace:names:deadline:describe:judge:)`` still waits
/// for, with their last state, for the timeout message.
final class PendingSet: @unchecked Sendable {
    private let lock = NSLock()
    private var states: [String: JSONValue?] = [:]

    init(_ names: Set<String>) {
        for name in names { states[name] = .some(nil) }
    }

    func set(_ name: String, _ state: JSONValue?) { lock.withLock { if states[name] != nil { states[name] = .some(state) } } }
    func finish(_ name: String) { lock.withLock { states[name] = nil } }
    func waiting() -> [String: JSONValue?] { lock.withLock { states } }
}

/// The last state a wait saw, for the timeout message.
final class LastSeen: @unchecked Sendable {
    private let lock = NSLock()
    private var value: JSONValue?

    func set(_ value: JSONValue?) { lock.withLock { self.value = value } }
    func get() -> JSONValue? { lock.withLock { value } }
}
