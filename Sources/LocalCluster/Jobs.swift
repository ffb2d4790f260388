import Foundation
import KubeModel

/// The Job controller: pods up to `parallelism` until `completions` succeed, `backoffLimit` and
/// `activeDeadlineSeconds` failing the Job, `ttlSecondsAfterFinished` deleting it.
extension ControllerManager {
    static func finishedCondition(_ job: JSONValue) -> JSONValue? {
        (job[path: ["status", "conditions"]]?.arrayValue ?? []).first {
            ($0["type"] == "Complete" || $0["type"] == "Failed") && $0["status"] == "True"
        }
    }

    func reconcileJob(_ job: JSONValue, key: ObjectKey) {
        let pods = owned(Resources.pods, by: job)
        let active = pods.filter(Self.isActive)
        let succeeded = Int64(pods.filter { $0[path: ["status", "phase"]] == "Succeeded" }.count)
        let failed = Int64(pods.filter { $0[path: ["status", "phase"]] == "Failed" }.count)
        let spec = job["spec"] ?? .emptyObject
        let completions = spec["completions"]?.intValue ?? 1
        let parallelism = spec["parallelism"]?.intValue ?? 1
        let backoffLimit = spec["backoffLimit"]?.intValue ?? 6
        let now = Date()
        let nowText = Timestamps.format(now)

        if let finished = Self.finishedCondition(job) {
            for pod in active { api.internalDelete(Resources.pods, ObjectKey(namespace: key.namespace, name: pod.name ?? "")) }
            if let ttl = spec["ttlSecondsAfterFinished"]?.intValue {
                let at = (finished["lastTransitionTime"]?.stringValue).flatMap(Timestamps.parse) ?? now
                if now.timeIntervalSince(at) >= Double(ttl) {
                    api.internalDelete(Resources.jobs, key)
                    setTimed(Resources.jobs, key, false)
                } else {
                    setTimed(Resources.jobs, key, true)
                }
            } else {
                setTimed(Resources.jobs, key, false)
            }
            updateJobStatus(key, active: 0, succeeded: succeeded, failed: failed, ready: 0)
            return
        }

        let startTime = (job[path: ["status", "startTime"]]?.stringValue).flatMap(Timestamps.parse) ?? now
        var failure: (reason: String, message: String)?
        if failed > backoffLimit {
            failure = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
        } else if let deadline = spec["activeDeadlineSeconds"]?.intValue, now.timeIntervalSince(startTime) >= Double(deadline) {
            failure = ("DeadlineExceeded", "Job was active longer than specified deadline")
        }
        let suspended = spec["suspend"]?.boolValue == true
        if failure == nil && succeeded < completions && !suspended {
            let wanted = min(parallelism, completions - succeeded) - Int64(active.count)
            if wanted > 0 {
                for _ in 0..<wanted {
                    createPod(template: spec["template"], name: api.generatedName("\(key.name)-"), owner: job)
                }
            }
        }
        if failure != nil || suspended {
            for pod in active { api.internalDelete(Resources.pods, ObjectKey(namespace: key.namespace, name: pod.name ?? "")) }
        }
        let current = owned(Resources.pods, by: job).filter(Self.isActive)
        let ready = Int64(current.filter(Self.isReady).count)
        api.internalUpdate(Resources.jobs, key) { job in
            var status = job["status"] ?? .emptyObject
            if status["startTime"] == nil && !suspended { status["startTime"] = .string(Timestamps.format(startTime)) }
            var conditions = status["conditions"]?.arrayValue ?? []
            if let failure {
                conditions.append(Self.condition("FailureTarget", true, reason: failure.reason, message: failure.message, now: nowText))
                conditions.append(Self.condition("Failed", true, reason: failure.reason, message: failure.message, now: nowText))
            } else if succeeded >= completions {
                conditions.append(Self.condition("SuccessCriteriaMet", true, reason: "CompletionsReached", message: "Reached expected number of succeeded pods", now: nowText))
                conditions.append(Self.condition("Complete", true, reason: "CompletionsReached", message: "Reached expected number of succeeded pods", now: nowText))
                status["completionTime"] = .string(nowText)
            }
            if !conditions.isEmpty { status["conditions"] = .array(conditions) }
            job["status"] = status
        }
        updateJobStatus(key, active: Int64(current.count), succeeded: succeeded, failed: failed, ready: ready)
        let finishedNow = api.store.get(Resources.jobs, key).flatMap(Self.finishedCondition) != nil
        let timed = !finishedNow && (spec["activeDeadlineSeconds"] != nil) || (finishedNow && spec["ttlSecondsAfterFinished"] != nil)
        setTimed(Resources.jobs, key, timed)
    }

    private func updateJobStatus(_ key: ObjectKey, active: Int64, succeeded: Int64, failed: Int64, ready: Int64) {
        api.internalUpdate(Resources.jobs, key) { job in
            var status = job["status"] ?? .emptyObject
            status["active"] = active > 0 ? .int(active) : nil
            status["succeeded"] = succeeded > 0 ? .int(succeeded) : nil
            status["failed"] = failed > 0 ? .int(failed) : nil
            status["ready"] = .int(ready)
            status["terminating"] = 0
            status["uncountedTerminatedPods"] = .emptyObject
            job["status"] = status
        }
    }

    func reconcileStatefulSet(_ set: JSONValue, key: ObjectKey) {
        let desired = set[path: ["spec", "replicas"]]?.intValue ?? 1
        let pods = owned(Resources.pods, by: set).filter(Self.isActive)
        let revision = "\(key.name)-\(Self.templateHash(set[path: ["spec", "template"]]))"
        // Ordered: pod N is created only once pods 0..N-1 are ready.
        let byName = Dictionary(pods.map { ($0.name ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        for ordinal in 0..<Int(desired) {
            let name = "\(key.name)-\(ordinal)"
            if let pod = byName[name] {
                if !Self.isReady(pod) && set[path: ["spec", "podManagementPolicy"]] != "Parallel" { break }
                continue
            }
            createPod(
                template: set[path: ["spec", "template"]], name: name, owner: set,
                extraLabels: ["statefulset.kubernetes.io/pod-name": name, "controller-revision-hash": revision, "apps.kubernetes.io/pod-index": String(ordinal)])
            if set[path: ["spec", "podManagementPolicy"]] != "Parallel" { break }
        }
        for pod in pods {
            let ordinal = Int((pod.name ?? "").split(separator: "-").last ?? "") ?? 0
            if ordinal >= desired { api.internalDelete(Resources.pods, ObjectKey(namespace: key.namespace, name: pod.name ?? "")) }
        }
        let current = owned(Resources.pods, by: set).filter(Self.isActive)
        let ready = Int64(current.filter(Self.isReady).count)
        api.internalUpdate(Resources.statefulSets, key) { set in
            set["status"] = [
                "observedGeneration": set["metadata"]?["generation"] ?? 1, "replicas": .int(Int64(current.count)),
                "readyReplicas": .int(ready), "currentReplicas": .int(Int64(current.count)), "updatedReplicas": .int(Int64(current.count)),
                "availableReplicas": .int(ready), "currentRevision": .string(revision), "updateRevision": .string(revision),
                "collisionCount": 0,
            ]
        }
    }

    func reconcileDaemonSet(_ set: JSONValue, key: ObjectKey) {
        let pods = owned(Resources.pods, by: set).filter(Self.isActive)
        if pods.isEmpty {
            createPod(template: set[path: ["spec", "template"]], name: api.generatedName("\(key.name)-"), owner: set)
        }
        let current = owned(Resources.pods, by: set).filter(Self.isActive)
        let ready = Int64(current.filter(Self.isReady).count)
        api.internalUpdate(Resources.daemonSets, key) { set in
            set["status"] = [
                "observedGeneration": set["metadata"]?["generation"] ?? 1, "desiredNumberScheduled": 1,
                "currentNumberScheduled": .int(Int64(current.count)), "numberMisscheduled": 0, "numberReady": .int(ready),
                "numberAvailable": .int(ready), "updatedNumberScheduled": .int(Int64(current.count)),
            ]
        }
    }
}
