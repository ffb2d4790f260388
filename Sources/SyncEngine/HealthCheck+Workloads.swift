import KubeModel

/// Health of the `apps` controllers, following Argo CD's checks.
extension HealthCheck {
    /// Healthy once the newest generation is observed and every replica is updated and available
    /// with no old ones left; Suspended while paused; Degraded past its progress deadline.
    static func deploymentHealth(_ live: JSONValue) -> Health {
        if live[path: ["spec", "paused"]]?.boolValue == true {
            return Health(.suspended, "Deployment is paused")
        }
        guard live.observedGenerationIsCurrent else {
            return Health(.progressing, "Waiting for rollout to finish: observed deployment generation less than desired generation")
        }
        if let progressing = Condition.named("Progressing", in: live), progressing.reason == "ProgressDeadlineExceeded" {
            return Health(.degraded, "Deployment \"\(live.name ?? "")\" exceeded its progress deadline")
        }
        let desired = live.int("spec", "replicas") ?? 1
        let updated = live.int("status", "updatedReplicas") ?? 0
        let total = live.int("status", "replicas") ?? 0
        let available = live.int("status", "availableReplicas") ?? 0
        if updated < desired {
            return Health(.progressing, "Waiting for rollout to finish: \(updated) out of \(desired) new replicas have been updated...")
        }
        if total > updated {
            return Health(.progressing, "Waiting for rollout to finish: \(total - updated) old replicas are pending termination...")
        }
        if available < updated {
            return Health(.progressing, "Waiting for rollout to finish: \(available) of \(updated) updated replicas are available...")
        }
        return Health(.healthy)
    }

    /// Healthy once the newest generation is observed, every replica is ready and the update
    /// revision is reached. A partitioned rolling update is done when the replicas at and above the
    /// partition are updated; with `OnDelete` nothing is rolled, so ready replicas are enough.
    static func statefulSetHealth(_ live: JSONValue) -> Health {
        guard live.observedGenerationIsCurrent else {
            return Health(.progressing, "Waiting for statefulset spec update to be observed...")
        }
        let desired = live.int("spec", "replicas") ?? 1
        let ready = live.int("status", "readyReplicas") ?? 0
        if ready < desired {
            return Health(.progressing, "Waiting for \(desired - ready) pods to be ready...")
        }
        let strategy = live.string("spec", "updateStrategy", "type") ?? "RollingUpdate"
        if strategy == "OnDelete" {
            return Health(.healthy, "statefulset has \(ready) ready pods")
        }
        if let partition = live.int("spec", "updateStrategy", "rollingUpdate", "partition"), partition > 0 {
            let updated = live.int("status", "updatedReplicas") ?? 0
            let expected = max(desired - partition, 0)
            if updated < expected {
                return Health(
                    .progressing, "Waiting for partitioned roll out to finish: \(updated) out of \(expected) new pods have been updated...")
            }
            return Health(.healthy, "partitioned roll out complete: \(updated) new pods have been updated...")
        }
        let updateRevision = live.string("status", "updateRevision") ?? ""
        let currentRevision = live.string("status", "currentRevision") ?? ""
        if updateRevision != currentRevision {
            let updated = live.int("status", "updatedReplicas") ?? 0
            return Health(
                .progressing,
                "waiting for statefulset rolling update to complete \(updated) pods at revision \(updateRevision)...")
        }
        return Health(.healthy, "statefulset rolling update complete \(ready) pods at revision \(currentRevision)...")
    }

    /// Healthy once the newest generation is observed and the pods on every node it should run on
    /// are updated and available (with `OnDelete`, observed is enough: nothing is rolled).
    static func daemonSetHealth(_ live: JSONValue) -> Health {
        guard live.observedGenerationIsCurrent else {
            return Health(.progressing, "Waiting for rollout to finish: observed daemon set generation less than desired generation")
        }
        let desired = live.int("status", "desiredNumberScheduled") ?? 0
        let updated = live.int("status", "updatedNumberScheduled") ?? 0
        let available = live.int("status", "numberAvailable") ?? 0
        if live.string("spec", "updateStrategy", "type") == "OnDelete" {
            return Health(.healthy, "daemon set \(updated) out of \(desired) new pods have been updated")
        }
        if updated < desired {
            return Health(
                .progressing, "Waiting for daemon set rollout to finish: \(updated) out of \(desired) new pods have been updated...")
        }
        if available < desired {
            return Health(
                .progressing, "Waiting for daemon set rollout to finish: \(available) of \(desired) updated pods are available...")
        }
        return Health(.healthy)
    }

    /// Healthy once the newest generation is observed and every replica is available; Degraded when
    /// the controller reports `ReplicaFailure=True` (a quota or admission refusal, say).
    static func replicaSetHealth(_ live: JSONValue) -> Health {
        guard live.observedGenerationIsCurrent else {
            return Health(.progressing, "Waiting for rollout to finish: observed replica set generation less than desired generation")
        }
        if let failure = Condition.named("ReplicaFailure", in: live), failure.isTrue {
            return Health(.degraded, failure.message.isEmpty ? failure.reason : failure.message)
        }
        let desired = live.int("spec", "replicas") ?? 1
        let available = live.int("status", "availableReplicas") ?? 0
        if available < desired {
            return Health(.progressing, "Waiting for rollout to finish: \(available) out of \(desired) new replicas are available...")
        }
        return Health(.healthy)
    }
}
