import KubeModel
import SyncEngine
import Testing

@Suite struct HealthCheckWorkloadTests {
    static let deployments: [LiveCase<HealthStatus>] = [
        LiveCase(
            "a rolled-out Deployment is Healthy",
            liveObject(
                "apps/v1", "Deployment", spec: ["replicas": 3],
                status: ["observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3]),
            .healthy),
        LiveCase(
            "a Deployment without replicas in its spec wants one",
            liveObject(
                "apps/v1", "Deployment", status: ["observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1]),
            .healthy),
        LiveCase(
            "a Deployment whose new generation is not observed is Progressing",
            liveObject(
                "apps/v1", "Deployment", generation: 2, spec: ["replicas": 1],
                status: ["observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1]),
            .progressing),
        LiveCase(
            "a Deployment without status is Progressing", liveObject("apps/v1", "Deployment", spec: ["replicas": 1]), .progressing),
        LiveCase(
            "a Deployment with replicas not yet updated is Progressing",
            liveObject(
                "apps/v1", "Deployment", spec: ["replicas": 3],
                status: ["observedGeneration": 1, "replicas": 3, "updatedReplicas": 2, "availableReplicas": 3]),
            .progressing),
        LiveCase(
            "a Deployment with old replicas left is Progressing",
            liveObject(
                "apps/v1", "Deployment", spec: ["replicas": 2],
                status: ["observedGeneration": 1, "replicas": 3, "updatedReplicas": 2, "availableReplicas": 2]),
            .progressing),
        LiveCase(
            "a Deployment with updated replicas not yet available is Progressing",
            liveObject(
                "apps/v1", "Deployment", spec: ["replicas": 2],
                status: ["observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 1]),
            .progressing),
        LiveCase(
            "a Deployment past its progress deadline is Degraded",
            liveObject(
                "apps/v1", "Deployment", spec: ["replicas": 2],
                status: [
                    "observedGeneration": 1, "replicas": 2, "updatedReplicas": 1, "availableReplicas": 1,
                    "conditions": [condition("Progressing", "False", reason: "ProgressDeadlineExceeded")],
                ]),
            .degraded),
        LiveCase(
            "a paused Deployment is Suspended",
            liveObject("apps/v1", "Deployment", generation: 3, spec: ["replicas": 2, "paused": true], status: ["observedGeneration": 1]),
            .suspended),
    ]

    static let statefulSets: [LiveCase<HealthStatus>] = [
        LiveCase(
            "a StatefulSet at its update revision with every replica ready is Healthy",
            liveObject(
                "apps/v1", "StatefulSet", spec: ["replicas": 2],
                status: ["observedGeneration": 1, "readyReplicas": 2, "currentRevision": "web-1", "updateRevision": "web-1"]),
            .healthy),
        LiveCase(
            "a StatefulSet with replicas not ready is Progressing",
            liveObject(
                "apps/v1", "StatefulSet", spec: ["replicas": 2],
                status: ["observedGeneration": 1, "readyReplicas": 1, "currentRevision": "web-1", "updateRevision": "web-1"]),
            .progressing),
        LiveCase(
            "a StatefulSet whose new generation is not observed is Progressing",
            liveObject(
                "apps/v1", "StatefulSet", generation: 2, spec: ["replicas": 1], status: ["observedGeneration": 1, "readyReplicas": 1]),
            .progressing),
        LiveCase(
            "a StatefulSet still rolling to its update revision is Progressing",
            liveObject(
                "apps/v1", "StatefulSet", spec: ["replicas": 2],
                status: [
                    "observedGeneration": 1, "readyReplicas": 2, "updatedReplicas": 1, "currentRevision": "web-1",
                    "updateRevision": "web-2",
                ]),
            .progressing),
        LiveCase(
            "a partitioned StatefulSet whose replicas above the partition are updated is Healthy",
            liveObject(
                "apps/v1", "StatefulSet",
                spec: ["replicas": 3, "updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["partition": 2]]],
                status: [
                    "observedGeneration": 1, "readyReplicas": 3, "updatedReplicas": 1, "currentRevision": "web-1",
                    "updateRevision": "web-2",
                ]),
            .healthy),
        LiveCase(
            "a partitioned StatefulSet with replicas above the partition left to update is Progressing",
            liveObject(
                "apps/v1", "StatefulSet",
                spec: ["replicas": 3, "updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["partition": 1]]],
                status: [
                    "observedGeneration": 1, "readyReplicas": 3, "updatedReplicas": 1, "currentRevision": "web-1",
                    "updateRevision": "web-2",
                ]),
            .progressing),
    ]

    static let daemonSetsAndReplicaSets: [LiveCase<HealthStatus>] = [
        LiveCase(
            "a DaemonSet updated and available on every node is Healthy",
            liveObject(
                "apps/v1", "DaemonSet",
                status: ["observedGeneration": 1, "desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 3]),
            .healthy),
        LiveCase(
            "a DaemonSet with nodes left to update is Progressing",
            liveObject(
                "apps/v1", "DaemonSet",
                status: ["observedGeneration": 1, "desiredNumberScheduled": 3, "updatedNumberScheduled": 2, "numberAvailable": 3]),
            .progressing),
        LiveCase(
            "a DaemonSet with updated pods not yet available is Progressing",
            liveObject(
                "apps/v1", "DaemonSet",
                status: ["observedGeneration": 1, "desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 2]),
            .progressing),
        LiveCase(
            "a DaemonSet whose new generation is not observed is Progressing",
            liveObject("apps/v1", "DaemonSet", generation: 4, status: ["observedGeneration": 3]), .progressing),
        LiveCase(
            "a ReplicaSet with every replica available is Healthy",
            liveObject("apps/v1", "ReplicaSet", spec: ["replicas": 2], status: ["observedGeneration": 1, "availableReplicas": 2]),
            .healthy),
        LiveCase(
            "a ReplicaSet with replicas not yet available is Progressing",
            liveObject("apps/v1", "ReplicaSet", spec: ["replicas": 2], status: ["observedGeneration": 1, "availableReplicas": 1]),
            .progressing),
        LiveCase(
            "a ReplicaSet reporting ReplicaFailure is Degraded",
            liveObject(
                "apps/v1", "ReplicaSet", spec: ["replicas": 2],
                status: [
                    "observedGeneration": 1, "availableReplicas": 0,
                    "conditions": [condition("ReplicaFailure", "True", reason: "FailedCreate", message: "exceeded quota")],
                ]),
            .degraded),
    ]

    @Test(arguments: deployments + statefulSets + daemonSetsAndReplicaSets)
    func workloadHealthFollowsTheTable(_ row: LiveCase<HealthStatus>) {
        #expect(HealthCheck.health(of: row.live).status == row.expected)
    }

    @Test func aDegradedDeploymentSaysItExceededItsDeadline() {
        let live = liveObject(
            "apps/v1", "Deployment", name: "web",
            status: ["observedGeneration": 1, "conditions": [condition("Progressing", "False", reason: "ProgressDeadlineExceeded")]])
        #expect(HealthCheck.health(of: live).message == "Deployment \"web\" exceeded its progress deadline")
    }

    @Test func aFailingReplicaSetCarriesTheControllersMessage() {
        let live = liveObject(
            "apps/v1", "ReplicaSet",
            status: ["observedGeneration": 1, "conditions": [condition("ReplicaFailure", "True", message: "pods \"x\" is forbidden")]])
        #expect(HealthCheck.health(of: live) == Health(.degraded, "pods \"x\" is forbidden"))
    }
}
