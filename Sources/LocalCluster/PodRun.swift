import Foundation
import KubeModel
import Synchronization

/// One pod's containers run as local processes (`--run-pods`): init containers one after another,
/// then the main containers together, restarted by `restartPolicy` with back-off. A container is
/// ready while it runs, or, with a readiness probe, once the probe says so (see `PodRun+Probes`).
final class PodRun: Sendable {
    enum Phase: Sendable, Equatable {
        case notStarted
        case running(startedAt: String)
        case waiting(reason: String, message: String)
        case terminated(exitCode: Int32, startedAt: String, finishedAt: String)
    }

    struct Container: Sendable {
        var spec: JSONValue
        var isInit: Bool
        var phase: Phase = .notStarted
        var process: PodProcess?
        var restarts: Int64 = 0
        var lastTermination: JSONValue?
        var restartPending = false
        /// Counts the container's starts, so that what an earlier run's process or probe reports
        /// cannot change a later run.
        var run = 0
        /// Whether the startup probe succeeded (true at start without one).
        var started = false
        /// The readiness probe's verdict (true at start without one).
        var probedReady = false
        /// The probes of the current run, cancelled when it ends.
        var probeTasks: [Task<Void, Never>] = []
        var name: String { spec["name"]?.stringValue ?? "" }
    }

    struct State {
        var containers: [Container]
        var startTime: String
        var stopped = false

        init(containers: [Container]) {
            self.containers = containers
            startTime = Timestamps.now()
        }

        /// Whether run `run` of container `index` is the one running now.
        func isRunning(_ index: Int, run: Int) -> Bool {
            guard containers[index].run == run, case .running = containers[index].phase else { return false }
            return true
        }
    }

    let key: ObjectKey
    let uid: String
    let restartPolicy: String
    let state: Mutex<State>

    init(pod: JSONValue, key: ObjectKey) {
        self.key = key
        uid = pod.uid ?? ""
        restartPolicy = pod[path: ["spec", "restartPolicy"]]?.stringValue ?? "Always"
        let initContainers = (pod[path: ["spec", "initContainers"]]?.arrayValue ?? []).map { Container(spec: $0, isInit: true) }
        let containers = (pod[path: ["spec", "containers"]]?.arrayValue ?? []).map { Container(spec: $0, isInit: false) }
        state = Mutex(State(containers: initContainers + containers))
    }

    private func shouldRestart(_ exitCode: Int32, isInit: Bool) -> Bool {
        switch restartPolicy {
        case "Always": return !isInit || exitCode != 0
        case "OnFailure": return exitCode != 0
        default: return false
        }
    }

    /// Starts whatever should be running now.
    func advance(kubelet: Kubelet) {
        let pod = kubelet.api.store.get(Resources.pods, key) ?? .emptyObject
        var toStart: [Int] = []
        state.withLock { state in
            guard !state.stopped else { return }
            // Init containers run one at a time, in order, each to success.
            for (index, container) in state.containers.enumerated() where container.isInit {
                switch container.phase {
                case .terminated(let code, _, _) where code == 0: continue
                case .terminated(let code, _, _) where !shouldRestart(code, isInit: true): return
                case .notStarted: toStart.append(index); return
                default:
                    if container.restartPending { return }
                    if case .waiting = container.phase { toStart.append(index) }
                    return
                }
            }
            for (index, container) in state.containers.enumerated() where !container.isInit {
                switch container.phase {
                case .notStarted: toStart.append(index)
                case .waiting where !container.restartPending: toStart.append(index)
                default: break
                }
            }
        }
        for index in toStart { start(index, pod: pod, kubelet: kubelet) }
    }

    private func start(_ index: Int, pod: JSONValue, kubelet: Kubelet) {
        let started = Timestamps.now()
        // Running before the process starts: a process that exits at once reports its exit
        // (on another thread) before `start` returns, and must not be overwritten as running.
        let (spec, run) = state.withLock { state -> (JSONValue, Int) in
            var container = state.containers[index]
            container.run += 1
            container.phase = .running(startedAt: started)
            // Without a startup probe a container has started once it runs; without a readiness
            // probe it is ready then too, as with the kubelet.
            container.started = container.isInit || Probe(.startup, of: container.spec) == nil
            container.probedReady = Probe(.readiness, of: container.spec) == nil
            state.containers[index] = container
            return (container.spec, container.run)
        }
        let name = spec["name"]?.stringValue ?? ""
        let directory = kubelet.workDirectory.appendingPathComponent("\(key.namespace)_\(key.name)_\(uid)").appendingPathComponent(name)
        var environment = kubelet.environment(for: spec, pod: pod)
        environment["HOME"] = directory.path
        let target = Probe.Target(container: spec, environment: environment, workingDirectory: directory)
        let command = spec["command"]?.arrayValue ?? []
        if command.isEmpty {
            startProbes(index, run: run, target: target, kubelet: kubelet)
            return
        }
        let arguments = command.compactMap(\.stringValue) + (spec["args"]?.arrayValue ?? []).compactMap(\.stringValue)
        let logKey = PodLogStore.Key(namespace: key.namespace, pod: key.name, uid: uid, container: name)
        let expanded = arguments.map { Kubelet.expand($0, environment) }
        let logs = kubelet.api.podLogs
        do {
            let process = try PodProcess.start(
                PodProcess.Launch(arguments: expanded, environment: environment, workingDirectory: directory),
                output: { bytes in logs.append(logKey, bytes) },
                exit: { [weak self, weak kubelet] code in
                    guard let self, let kubelet else { return }
                    self.finished(index, run: run, exitCode: code, startedAt: started, kubelet: kubelet)
                })
            state.withLock { state in
                // Only while this run of the container is still the one running.
                if state.isRunning(index, run: run) { state.containers[index].process = process }
            }
            startProbes(index, run: run, target: target, kubelet: kubelet)
        } catch {
            logs.append(logKey, Array("\(error)\n".utf8))
            finished(index, run: run, exitCode: 128, startedAt: started, kubelet: kubelet)
        }
    }

    /// Run `run` of container `index` ended with `exitCode` (its process exited, or it was killed
    /// for failing a probe): restart it as `restartPolicy` says, after a back-off.
    func finished(_ index: Int, run: Int, exitCode: Int32, startedAt: String, kubelet: Kubelet) {
        let now = Timestamps.now()
        let ended = state.withLock { state -> (delay: Duration?, probes: [Task<Void, Never>])? in
            // A stopped pod's container only ends: its log is closed, nothing restarts.
            guard !state.stopped else { return (nil, []) }
            // An earlier run, or a run that ended already (killed, then exited).
            guard state.isRunning(index, run: run) else { return nil }
            var container = state.containers[index]
            let probes = container.probeTasks
            container.probeTasks = []
            container.process = nil
            container.started = false
            container.probedReady = false
            let terminated: JSONValue = [
                "exitCode": .int(Int64(exitCode)), "reason": exitCode == 0 ? "Completed" : "Error", "startedAt": .string(startedAt),
                "finishedAt": .string(now),
            ]
            container.phase = .terminated(exitCode: exitCode, startedAt: startedAt, finishedAt: now)
            var delay: Duration?
            if shouldRestart(exitCode, isInit: container.isInit) {
                container.lastTermination = ["terminated": terminated]
                let seconds = min(Double(Kubelet.initialBackoff.components.attoseconds) / 1e18 * pow(2, Double(container.restarts)), 10)
                delay = .milliseconds(Int64(seconds * 1000))
                container.phase = .waiting(reason: "CrashLoopBackOff", message: "back-off \(Int(seconds.rounded(.up)))s restarting failed container=\(container.name) pod=\(key.name)_\(key.namespace)(\(uid))")
                container.restartPending = true
            }
            state.containers[index] = container
            return (delay, probes)
        }
        guard let ended else { return }
        for probe in ended.probes { probe.cancel() }
        let logKey = PodLogStore.Key(namespace: key.namespace, pod: key.name, uid: uid, container: state.withLock { $0.containers[index].name })
        if ended.delay == nil { kubelet.api.podLogs.close(logKey) }
        kubelet.notify(key)
        guard let delay = ended.delay else { return }
        Task { [weak self, weak kubelet] in
            try? await Task.sleep(for: delay)
            guard let self, let kubelet else { return }
            self.state.withLock { state in
                state.containers[index].restartPending = false
                state.containers[index].restarts += 1
            }
            kubelet.notify(self.key)
        }
    }

    func terminate(grace: Duration) {
        let (processes, probes) = state.withLock { state -> ([PodProcess], [Task<Void, Never>]) in
            state.stopped = true
            let probes = state.containers.flatMap(\.probeTasks)
            for index in state.containers.indices { state.containers[index].probeTasks = [] }
            return (state.containers.compactMap(\.process), probes)
        }
        for probe in probes { probe.cancel() }
        for process in processes { process.terminate(grace: grace) }
    }

    /// The pod status for the containers' current states.
    func status(for pod: JSONValue) -> JSONValue {
        let (containers, startTime) = state.withLock { ($0.containers, $0.startTime) }
        var statuses: [JSONValue] = []
        var initStatuses: [JSONValue] = []
        var phase = "Running"
        var initDone = true
        for container in containers where container.isInit {
            if case .terminated(let code, _, _) = container.phase, code == 0 { continue }
            initDone = false
            if case .terminated(let code, _, _) = container.phase, !shouldRestart(code, isInit: true) { phase = "Failed" }
        }
        if !initDone && phase != "Failed" { phase = "Pending" }
        var allTerminated = true
        var anyFailed = false
        var unready: [String] = []
        for container in containers {
            let state: JSONValue
            var ready = false
            switch container.phase {
            case .notStarted:
                state = ["waiting": ["reason": container.isInit || initDone ? "ContainerCreating" : "PodInitializing"]]
                allTerminated = allTerminated && container.isInit
            case .running(let startedAt):
                state = ["running": ["startedAt": .string(startedAt)]]
                ready = !container.isInit && container.started && container.probedReady
                if !container.isInit { allTerminated = false }
            case .waiting(let reason, let message):
                state = ["waiting": ["reason": .string(reason), "message": .string(message)]]
                if !container.isInit { allTerminated = false }
            case .terminated(let code, let startedAt, let finishedAt):
                state = ["terminated": ["exitCode": .int(Int64(code)), "reason": code == 0 ? "Completed" : "Error", "startedAt": .string(startedAt), "finishedAt": .string(finishedAt)]]
                if !container.isInit && code != 0 { anyFailed = true }
            }
            var status = Self.containerStatus(container.spec, state: state, ready: ready, restarts: container.restarts, uid: uid)
            if state["running"] != nil { status["started"] = .bool(container.started) }
            if let last = container.lastTermination { status["lastState"] = last }
            if container.isInit {
                initStatuses.append(status)
            } else {
                statuses.append(status)
                if !ready { unready.append(container.name) }
            }
        }
        if phase == "Running" && allTerminated && !statuses.isEmpty { phase = anyFailed ? "Failed" : "Succeeded" }
        var status = Self.podStatus(
            phase: phase, ready: phase == "Running" && unready.isEmpty, containerStatuses: statuses, startTime: startTime, podIP: Self.podIP(uid),
            unready: unready)
        if !initStatuses.isEmpty { status["initContainerStatuses"] = .array(initStatuses) }
        return status
    }

    static func podIP(_ uid: String) -> String {
        let hash = StableHash.fnv1a(uid)
        return "10.244.\((hash >> 8) % 250).\(hash % 250 + 2)"
    }

    static func containerStatus(_ container: JSONValue, state: JSONValue, ready: Bool, restarts: Int64, uid: String) -> JSONValue {
        let name = container["name"]?.stringValue ?? ""
        return [
            "name": .string(name), "image": container["image"] ?? "", "imageID": .string("local://\(container["image"]?.stringValue ?? "")"),
            "containerID": .string("local://\(uid)/\(name)"), "ready": .bool(ready), "restartCount": .int(restarts),
            "started": .bool(state["running"] != nil), "state": state, "lastState": .emptyObject,
        ]
    }

    /// A pod's status; `unready` names the containers that are not ready, for the Ready
    /// condition's message.
    static func podStatus(phase: String, ready: Bool, containerStatuses: [JSONValue], startTime: String, podIP: String, unready: [String] = []) -> JSONValue {
        let now = Timestamps.now()
        let readyText: JSONValue = ready ? "True" : "False"
        var readyCondition: JSONValue = ["type": "Ready", "status": readyText, "lastTransitionTime": .string(now)]
        var containersReady: JSONValue = ["type": "ContainersReady", "status": readyText, "lastTransitionTime": .string(now)]
        if phase == "Succeeded" || phase == "Failed" {
            readyCondition["reason"] = "PodCompleted"
            containersReady["reason"] = "PodCompleted"
        } else if !ready {
            readyCondition["reason"] = "ContainersNotReady"
            containersReady["reason"] = "ContainersNotReady"
            if !unready.isEmpty {
                let message = JSONValue.string("containers with unready status: [\(unready.joined(separator: " "))]")
                readyCondition["message"] = message
                containersReady["message"] = message
            }
        }
        return [
            "phase": .string(phase), "hostIP": "127.0.0.1", "hostIPs": [["ip": "127.0.0.1"]], "podIP": .string(podIP),
            "podIPs": [["ip": .string(podIP)]], "startTime": .string(startTime), "qosClass": "BestEffort",
            "conditions": [
                ["type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": .string(startTime)],
                ["type": "Initialized", "status": "True", "lastTransitionTime": .string(startTime)],
                readyCondition, containersReady,
                ["type": "PodScheduled", "status": "True", "lastTransitionTime": .string(startTime)],
            ],
            "containerStatuses": .array(containerStatuses),
        ]
    }
}
