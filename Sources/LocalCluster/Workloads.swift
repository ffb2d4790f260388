import Foundation
import KubeModel

/// Deployments and ReplicaSets, rolled out as the real controllers do: a ReplicaSet per pod
/// template, old ones scaled down once the new one is available, and the conditions and counts
/// that `kubectl rollout status` and health checks read.
extension ControllerManager {
    static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    /// A short stable hash of a pod template, as `pod-template-hash`.
    static func templateHash(_ template: JSONValue?) -> String {
        var hash = StableHash.fnv1a((template ?? .null).serialized())
        var text = ""
        for _ in 0..<10 {
            text.append(alphabet[Int(hash % UInt64(alphabet.count))])
            hash /= UInt64(alphabet.count)
        }
        return text
    }

    func controllerReference(_ owner: JSONValue) -> OwnerReference {
        OwnerReference(apiVersion: owner.apiVersion ?? "", kind: owner.kind ?? "", name: owner.name ?? "", uid: owner.uid ?? "", controller: true, blockOwnerDeletion: true)
    }

    /// Objects of `resource` whose controller is `owner`.
    func owned(_ resource: GroupResource, by owner: JSONValue) -> [JSONValue] {
        guard let uid = owner.uid else { return [] }
        let refs = api.store.dependents(of: uid).filter { $0.resource == resource }
        return refs.compactMap { api.store.get($0.resource, $0.key) }.sorted { ($0.name ?? "") < ($1.name ?? "") }
    }

    static func isReady(_ pod: JSONValue) -> Bool {
        pod.deletionTimestamp == nil
            && (pod[path: ["status", "conditions"]]?.arrayValue ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
    }

    static func isActive(_ pod: JSONValue) -> Bool {
        let phase = pod[path: ["status", "phase"]]?.stringValue
        return pod.deletionTimestamp == nil && phase != "Succeeded" && phase != "Failed"
    }

    /// Creates a pod from a template, owned by `owner`.
    func createPod(template: JSONValue?, name: String, owner: JSONValue, extraLabels: [String: String] = [:]) {
        var pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": template?["metadata"] ?? .emptyObject, "spec": template?["spec"] ?? .emptyObject]
        pod.name = name
        pod.namespace = owner.namespace
        var labels = pod.labels
        for (key, value) in extraLabels { labels[key] = value }
        pod.labels = labels
        pod.ownerReferences = [controllerReference(owner)]
        pod[path: ["spec", "nodeName"]] = "local"
        _ = try? api.internalCreate(pod, resource: api.resourceType("", "Pod"))
    }

    func reconcileDeployment(_ deployment: JSONValue, key: ObjectKey) {
        let desired = deployment[path: ["spec", "replicas"]]?.intValue ?? 1
        let template = deployment[path: ["spec", "template"]]
        let hash = Self.templateHash(template)
        let sets = owned(Resources.replicaSets, by: deployment)
        let paused = deployment[path: ["spec", "paused"]]?.boolValue == true
        var newSet = sets.first { $0.labels["pod-template-hash"] == hash }
        let revisions = sets.compactMap { Int64($0.annotations["deployment.kubernetes.io/revision"] ?? "") }
        let revision = newSet.flatMap { Int64($0.annotations["deployment.kubernetes.io/revision"] ?? "") } ?? ((revisions.max() ?? 0) + 1)
        if newSet == nil && !paused {
            var set: JSONValue = ["apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": .emptyObject, "spec": .emptyObject]
            set.name = "\(key.name)-\(hash)"
            set.namespace = key.namespace
            var labels = template?[path: ["metadata", "labels"]]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
            labels["pod-template-hash"] = hash
            set.labels = labels
            set.annotations = ["deployment.kubernetes.io/revision": String(revision), "deployment.kubernetes.io/desired-replicas": String(desired)]
            set.ownerReferences = [controllerReference(deployment)]
            var selector = deployment[path: ["spec", "selector"]] ?? .emptyObject
            selector[path: ["matchLabels", "pod-template-hash"]] = .string(hash)
            set[path: ["spec", "selector"]] = selector
            set[path: ["spec", "replicas"]] = .int(desired)
            var podTemplate = template ?? .emptyObject
            podTemplate[path: ["metadata", "labels", "pod-template-hash"]] = .string(hash)
            set[path: ["spec", "template"]] = podTemplate
            newSet = try? api.internalCreate(set, resource: api.resourceType("apps", "ReplicaSet"))
        } else if let current = newSet, current[path: ["spec", "replicas"]]?.intValue != desired, !paused {
            newSet = api.internalUpdate(Resources.replicaSets, ObjectKey(namespace: key.namespace, name: current.name ?? "")) {
                $0[path: ["spec", "replicas"]] = .int(desired)
            }
        }
        let newAvailable = newSet?[path: ["status", "availableReplicas"]]?.intValue ?? 0
        let newComplete = newAvailable >= desired && (newSet?[path: ["status", "replicas"]]?.intValue ?? 0) == desired
        // Old ReplicaSets go once the new one is fully available (a rolling update's end state).
        for old in sets where old.name != newSet?.name {
            if newComplete, old[path: ["spec", "replicas"]]?.intValue != 0 {
                api.internalUpdate(Resources.replicaSets, ObjectKey(namespace: key.namespace, name: old.name ?? "")) { $0[path: ["spec", "replicas"]] = 0 }
            }
        }
        let all = owned(Resources.replicaSets, by: deployment)
        func sum(_ field: String) -> Int64 { all.reduce(0) { $0 + ($1[path: ["status", field]]?.intValue ?? 0) } }
        let updated = newSet?[path: ["status", "replicas"]]?.intValue ?? 0
        let available = sum("availableReplicas")
        let maxUnavailable = Self.maxUnavailable(deployment, desired: desired)
        let setName = newSet?.name ?? "\(key.name)-\(hash)"
        let now = Timestamps.now()
        let deadline = deployment[path: ["spec", "progressDeadlineSeconds"]]?.intValue ?? 600
        api.internalUpdate(Resources.deployments, key) { deployment in
            var status = deployment["status"] ?? .emptyObject
            let previous = status
            status["observedGeneration"] = deployment["metadata"]?["generation"] ?? 1
            status["replicas"] = .int(sum("replicas"))
            status["updatedReplicas"] = .int(updated)
            status["readyReplicas"] = .int(sum("readyReplicas"))
            status["availableReplicas"] = .int(available)
            status["unavailableReplicas"] = .int(max(0, desired - available))
            for field in ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"] where status[field]?.intValue == 0 {
                status[field] = nil
            }
            var conditions = status["conditions"]?.arrayValue ?? []
            let isAvailable = available >= desired - maxUnavailable
            Self.setCondition(
                &conditions, type: "Available", status: isAvailable,
                reason: isAvailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                message: isAvailable ? "Deployment has minimum availability." : "Deployment does not have minimum availability.", now: now)
            let progressing = conditions.first { $0["type"] == "Progressing" }
            let progressReason = progressing?["reason"]?.stringValue
            let complete = newComplete && sum("replicas") == desired
            if complete {
                Self.setCondition(&conditions, type: "Progressing", status: true, reason: "NewReplicaSetAvailable", message: "ReplicaSet \"\(setName)\" has successfully progressed.", now: now)
            } else if progressReason == "ProgressDeadlineExceeded" && previous["observedGeneration"] == status["observedGeneration"] {
                // Stays failed until the spec changes.
            } else {
                let started = progressReason == "ReplicaSetUpdated" || progressReason == "NewReplicaSetCreated"
                let since = started ? (progressing?["lastUpdateTime"]?.stringValue).flatMap(Timestamps.parse) : nil
                let madeProgress = previous["availableReplicas"] != status["availableReplicas"] || previous["updatedReplicas"] != status["updatedReplicas"] || previous["observedGeneration"] != status["observedGeneration"]
                if let since, !madeProgress, Date().timeIntervalSince(since) > Double(deadline) {
                    Self.setCondition(&conditions, type: "Progressing", status: false, reason: "ProgressDeadlineExceeded", message: "ReplicaSet \"\(setName)\" has timed out progressing.", now: now)
                } else {
                    Self.setCondition(
                        &conditions, type: "Progressing", status: true, reason: "ReplicaSetUpdated", message: "ReplicaSet \"\(setName)\" is progressing.", now: now,
                        touch: madeProgress || since == nil)
                }
            }
            status["conditions"] = .array(conditions)
            deployment["status"] = status
            var annotations = deployment.annotations
            annotations["deployment.kubernetes.io/revision"] = String(revision)
            deployment.annotations = annotations
        }
        let finished = api.store.get(Resources.deployments, key).map { current in
            (current[path: ["status", "conditions"]]?.arrayValue ?? []).contains { $0["type"] == "Progressing" && ($0["reason"] == "NewReplicaSetAvailable" || $0["reason"] == "ProgressDeadlineExceeded") }
        } ?? true
        setTimed(Resources.deployments, key, !finished)
    }

    static func maxUnavailable(_ deployment: JSONValue, desired: Int64) -> Int64 {
        guard deployment[path: ["spec", "strategy", "type"]]?.stringValue != "Recreate" else { return 0 }
        switch deployment[path: ["spec", "strategy", "rollingUpdate", "maxUnavailable"]] {
        case .int(let number)?: return number
        case .string(let text)? where text.hasSuffix("%"):
            return desired * (Int64(text.dropLast()) ?? 25) / 100
        default: return desired / 4
        }
    }

    /// Sets a condition, keeping `lastTransitionTime` unless the status flips; `touch` refreshes `lastUpdateTime`.
    static func setCondition(_ conditions: inout [JSONValue], type: String, status: Bool, reason: String, message: String, now: String, touch: Bool = true) {
        let value: JSONValue = status ? "True" : "False"
        if let index = conditions.firstIndex(where: { $0["type"]?.stringValue == type }) {
            var condition = conditions[index]
            if condition["status"] != value { condition["lastTransitionTime"] = .string(now) }
            if condition["status"] != value || condition["reason"]?.stringValue != reason || touch {
                condition["lastUpdateTime"] = .string(now)
            }
            condition["status"] = value
            condition["reason"] = .string(reason)
            condition["message"] = .string(message)
            conditions[index] = condition
        } else {
            conditions.append([
                "type": .string(type), "status": value, "reason": .string(reason), "message": .string(message),
                "lastTransitionTime": .string(now), "lastUpdateTime": .string(now),
            ])
        }
    }

    func reconcileReplicaSet(_ set: JSONValue, key: ObjectKey) {
        let desired = set[path: ["spec", "replicas"]]?.intValue ?? 1
        var pods = owned(Resources.pods, by: set).filter(Self.isActive)
        if pods.count < desired {
            for _ in pods.count..<Int(desired) {
                createPod(template: set[path: ["spec", "template"]], name: api.generatedName("\(key.name)-"), owner: set)
            }
        } else if pods.count > desired {
            for pod in pods.suffix(pods.count - Int(desired)) {
                api.internalDelete(Resources.pods, ObjectKey(namespace: key.namespace, name: pod.name ?? ""))
            }
            pods = Array(pods.prefix(Int(desired)))
        }
        let all = owned(Resources.pods, by: set).filter(Self.isActive)
        let ready = Int64(all.filter(Self.isReady).count)
        api.internalUpdate(Resources.replicaSets, key) { set in
            var status: JSONValue = ["replicas": .int(Int64(all.count)), "fullyLabeledReplicas": .int(Int64(all.count)), "observedGeneration": set["metadata"]?["generation"] ?? 1]
            if ready > 0 {
                status["readyReplicas"] = .int(ready)
                status["availableReplicas"] = .int(ready)
            }
            set["status"] = status
        }
    }
}
