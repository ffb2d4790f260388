import Foundation
import KubeClient
import KubeModel

/// Streams a running hook's output to the sync's progress as it is printed (`--follow-hooks`):
/// each line of each container of the hook's Pods (a Job's Pods, or the Pod itself), prefixed by
/// the hook's name, like `kubectl logs -f`.
///
/// The Pods are followed with a watch, and each container's log once its Pod has started. The
/// ledger's copy of the logs is captured separately when the hook ends; this is only for the eyes
/// of someone waiting.
actor HookOutputFollower {
    private let execution: SyncExecution
    private let hook: SyncTask
    private var followed = Set<String>()
    private var streams: [Task<Void, Never>] = []
    private var watcher: Task<Void, Never>?

    /// How long the output of a finished hook may take to arrive in full before it is cut off.
    static let drainLimit = Duration.seconds(5)

    private init(execution: SyncExecution, hook: SyncTask) {
        self.execution = execution
        self.hook = hook
    }

    /// Starts following `hook`.
    static func start(execution: SyncExecution, hook: SyncTask) async -> HookOutputFollower {
        let follower = HookOutputFollower(execution: execution, hook: hook)
        await follower.watch()
        return follower
    }

    private func watch() {
        watcher = Task { await self.watchPods() }
    }

    /// The namespace, and the label selector or name, that find the hook's Pods.
    private var podQuery: (namespace: String, name: String?, selector: String?)? { execution.hookPodQuery(hook) }

    private func watchPods() async {
        guard let query = podQuery else { return }
        do {
            let events = execution.client.watch(SyncExecution.podKind, namespace: query.namespace, name: query.name, labelSelector: query.selector)
            for try await event in events where event.type != "DELETED" {
                consider(event.object)
            }
        } catch {
            // Following is best effort: the hook's result and its logs in the ledger do not depend on it.
        }
    }

    /// Starts following each container of `pod` that has started and is not followed yet.
    private func consider(_ pod: JSONValue) {
        guard let name = pod.name, ["Running", "Succeeded", "Failed"].contains(pod.string("status", "phase") ?? "") else { return }
        let containers = (pod[path: ["spec", "initContainers"]]?.arrayValue ?? []) + (pod[path: ["spec", "containers"]]?.arrayValue ?? [])
        let namespace = pod.namespace ?? podQuery?.namespace
        for container in containers.compactMap({ $0["name"]?.stringValue }) where followed.insert("\(name)/\(container)").inserted {
            let execution = execution
            let hook = hook
            streams.append(Task { await Self.stream(execution, hook, namespace: namespace, pod: name, container: container) })
        }
    }

    private static func stream(_ execution: SyncExecution, _ hook: SyncTask, namespace: String?, pod: String, container: String) async {
        var buffer: [UInt8] = []
        let emit: @Sendable ([UInt8]) -> Void = { bytes in
            let line = String(decoding: bytes, as: UTF8.self)
            execution.report(.hookOutput(hook: hook.name, line: line.hasSuffix("\r") ? String(line.dropLast()) : line), phase: hook.phase.rawValue)
        }
        do {
            for try await chunk in try await execution.client.followLogs(namespace: namespace, pod: pod, container: container) {
                buffer += chunk
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    emit(Array(buffer[..<newline]))
                    buffer.removeSubrange(...newline)
                }
            }
        } catch {
            // As above: best effort.
        }
        if !buffer.isEmpty { emit(buffer) }
    }

    /// The hook ended: picks up Pods the watch has not shown yet, lets every stream deliver the rest
    /// of its output (at most ``drainLimit``), then stops.
    func finish() async {
        watcher?.cancel()
        for pod in (try? await execution.hookPods(hook)) ?? [] { consider(pod) }
        let all = streams
        let cutOff = Task {
            try? await Task.sleep(for: Self.drainLimit)
            for stream in all { stream.cancel() }
        }
        for stream in all { await stream.value }
        cutOff.cancel()
    }

    /// Stops at once (the sync stopped).
    func stop() {
        watcher?.cancel()
        for stream in streams { stream.cancel() }
    }
}
