import Foundation
import KubeModel
import Synchronization

/// The node agent of the LocalCluster. Without `--run-pods` every pod starts at once, becomes
/// ready, and — unless it restarts always — succeeds. With `--run-pods` each container's
/// `command` and `args` run as a local process (see ``PodProcess``): its output is the pod log,
/// its exit code the container's state, and restarts follow `restartPolicy` with back-off
/// (`CrashLoopBackOff`). A container with no command is a server that runs at once. Containers
/// are ready while running unless they declare a readiness probe; startup, readiness and liveness
/// probes run against the local processes (see ``Probe``).
final class Kubelet: Sendable {
    let api: ClusterAPI
    let runPods: Bool
    let workDirectory: URL
    private let changed = Mutex<(@Sendable (GroupResource, ObjectKey) -> Void)?>(nil)
    let runs = Mutex<[String: PodRun]>([:])

    /// The first restart waits this long; each further one twice as long, up to ``maximumBackoff``.
    static let initialBackoff = Duration.milliseconds(500)
    static let maximumBackoff = Duration.seconds(10)

    init(api: ClusterAPI, runPods: Bool, workDirectory: URL) {
        self.api = api
        self.runPods = runPods
        self.workDirectory = workDirectory
    }

    /// Called when a pod's processes changed state, so that its status is written.
    var onChange: (@Sendable (GroupResource, ObjectKey) -> Void)? {
        get { changed.withLock { $0 } }
        set { changed.withLock { $0 = newValue } }
    }

    func notify(_ key: ObjectKey) {
        onChange?(Resources.pods, key)
    }

    func reconcile(_ pod: JSONValue, key: ObjectKey) {
        guard let uid = pod.uid else { return }
        if pod.deletionTimestamp != nil {
            stop(uid: uid, grace: .seconds(1))
            return
        }
        let phase = pod[path: ["status", "phase"]]?.stringValue
        if phase == "Succeeded" || phase == "Failed" { return }
        if runPods {
            let run = runs.withLock { runs -> PodRun in
                if let existing = runs[uid] { return existing }
                let run = PodRun(pod: pod, key: key)
                runs[uid] = run
                return run
            }
            run.advance(kubelet: self)
            let status = run.status(for: pod)
            api.internalUpdate(Resources.pods, key) { $0["status"] = status }
            return
        }
        let restartAlways = (pod[path: ["spec", "restartPolicy"]]?.stringValue ?? "Always") == "Always"
        let now = Timestamps.now()
        let containers = pod[path: ["spec", "containers"]]?.arrayValue ?? []
        if phase == nil || phase == "Pending" {
            let statuses = containers.map { container in
                PodRun.containerStatus(container, state: ["running": ["startedAt": .string(now)]], ready: true, restarts: 0, uid: uid)
            }
            api.internalUpdate(Resources.pods, key) { pod in
                pod["status"] = PodRun.podStatus(phase: "Running", ready: true, containerStatuses: statuses, startTime: now, podIP: PodRun.podIP(uid))
            }
        } else if phase == "Running" && !restartAlways {
            let statuses = containers.map { container in
                PodRun.containerStatus(
                    container, state: ["terminated": ["exitCode": 0, "reason": "Completed", "startedAt": .string(now), "finishedAt": .string(now)]],
                    ready: false, restarts: 0, uid: uid)
            }
            api.internalUpdate(Resources.pods, key) { pod in
                let started = pod[path: ["status", "startTime"]]?.stringValue ?? now
                pod["status"] = PodRun.podStatus(phase: "Succeeded", ready: false, containerStatuses: statuses, startTime: started, podIP: PodRun.podIP(uid))
            }
        }
    }

    func podDeleted(_ pod: JSONValue) {
        guard let uid = pod.uid else { return }
        stop(uid: uid, grace: .seconds(1))
        api.podLogs.remove(namespace: pod.namespace ?? "", pod: pod.name ?? "", uid: uid)
    }

    private func stop(uid: String, grace: Duration) {
        let run = runs.withLock { $0.removeValue(forKey: uid) }
        run?.terminate(grace: grace)
    }

    func stopAll() {
        let all = runs.withLock { runs in
            defer { runs.removeAll() }
            return Array(runs.values)
        }
        for run in all { run.terminate(grace: .milliseconds(200)) }
    }

    /// The environment of a container: the cluster's PATH, the pod's identity, and the spec's
    /// `env` and `envFrom` with ConfigMap, Secret and field references resolved.
    func environment(for container: JSONValue, pod: JSONValue) -> [String: String] {
        var environment: [String: String] = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
            "HOSTNAME": pod.name ?? "", "KUBERNETES_SERVICE_HOST": "127.0.0.1",
        ]
        let namespace = pod.namespace ?? ""
        func data(_ resource: String, _ name: String?) -> [String: String] {
            guard let name, let object = api.store.get(GroupResource(group: "", resource: resource), ObjectKey(namespace: namespace, name: name)) else { return [:] }
            let values = object["data"]?.objectValue ?? [:]
            return values.compactMapValues { value in
                guard let text = value.stringValue else { return nil }
                if resource == "secrets" { return Data(base64Encoded: text).map { String(decoding: $0, as: UTF8.self) } }
                return text
            }
        }
        for source in container["envFrom"]?.arrayValue ?? [] {
            let prefix = source["prefix"]?.stringValue ?? ""
            if let name = source[path: ["configMapRef", "name"]]?.stringValue {
                for (key, value) in data("configmaps", name) { environment[prefix + key] = value }
            }
            if let name = source[path: ["secretRef", "name"]]?.stringValue {
                for (key, value) in data("secrets", name) { environment[prefix + key] = value }
            }
        }
        for variable in container["env"]?.arrayValue ?? [] {
            guard let name = variable["name"]?.stringValue else { continue }
            if let value = variable["value"]?.stringValue {
                environment[name] = Self.expand(value, environment)
            } else if let from = variable["valueFrom"] {
                if let field = from[path: ["fieldRef", "fieldPath"]]?.stringValue {
                    environment[name] = Self.field(field, of: pod)
                } else if let reference = from["configMapKeyRef"], let key = reference["key"]?.stringValue {
                    environment[name] = data("configmaps", reference["name"]?.stringValue)[key]
                } else if let reference = from["secretKeyRef"], let key = reference["key"]?.stringValue {
                    environment[name] = data("secrets", reference["name"]?.stringValue)[key]
                }
            }
        }
        return environment
    }

    /// `$(VAR)` references to earlier variables, as the kubelet expands them.
    static func expand(_ value: String, _ environment: [String: String]) -> String {
        guard value.contains("$(") else { return value }
        var result = value
        for (name, replacement) in environment { result = result.replacingOccurrences(of: "$(\(name))", with: replacement) }
        return result
    }

    static func field(_ path: String, of pod: JSONValue) -> String? {
        switch path {
        case "metadata.name": return pod.name
        case "metadata.namespace": return pod.namespace
        case "metadata.uid": return pod.uid
        case "spec.nodeName": return "local"
        case "spec.serviceAccountName": return pod[path: ["spec", "serviceAccountName"]]?.stringValue ?? "default"
        case "status.podIP": return PodRun.podIP(pod.uid ?? "")
        case "status.hostIP": return "127.0.0.1"
        default:
            if path.hasPrefix("metadata.labels['"), path.hasSuffix("']") {
                return pod.labels[String(path.dropFirst(17).dropLast(2))]
            }
            if path.hasPrefix("metadata.annotations['"), path.hasSuffix("']") {
                return pod.annotations[String(path.dropFirst(22).dropLast(2))]
            }
            return nil
        }
    }
}
