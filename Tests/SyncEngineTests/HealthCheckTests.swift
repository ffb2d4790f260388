import KubeModel
import SyncEngine
import Testing

@Suite struct HealthCheckTests {
    static let pods: [LiveCase<HealthStatus>] = [
        LiveCase("a Succeeded Pod is Healthy", liveObject("v1", "Pod", status: ["phase": "Succeeded"]), .healthy),
        LiveCase(
            "a Running and Ready Pod that restarts Always is Healthy",
            liveObject(
                "v1", "Pod", spec: ["restartPolicy": "Always"], status: ["phase": "Running", "conditions": [condition("Ready", "True")]]),
            .healthy),
        LiveCase(
            "a Running and Ready Pod without a restart policy restarts Always and is Healthy",
            liveObject("v1", "Pod", status: ["phase": "Running", "conditions": [condition("Ready", "True")]]), .healthy),
        LiveCase(
            "a Running Pod that is not Ready is Progressing",
            liveObject("v1", "Pod", status: ["phase": "Running", "conditions": [condition("Ready", "False")]]), .progressing),
        LiveCase(
            "a Running Pod that never restarts is Progressing until it ends",
            liveObject(
                "v1", "Pod", spec: ["restartPolicy": "Never"], status: ["phase": "Running", "conditions": [condition("Ready", "True")]]),
            .progressing),
        LiveCase("a Pending Pod is Progressing", liveObject("v1", "Pod", status: ["phase": "Pending"]), .progressing),
        LiveCase("a Failed Pod is Degraded", liveObject("v1", "Pod", status: ["phase": "Failed"]), .degraded),
        LiveCase(
            "a Pod in CrashLoopBackOff is Degraded",
            liveObject(
                "v1", "Pod",
                status: ["phase": "Running", "containerStatuses": [["name": "app", "state": ["waiting": ["reason": "CrashLoopBackOff"]]]]]),
            .degraded),
        LiveCase(
            "a Pod in ImagePullBackOff is Degraded",
            liveObject(
                "v1", "Pod",
                status: ["phase": "Pending", "containerStatuses": [["name": "app", "state": ["waiting": ["reason": "ImagePullBackOff"]]]]]),
            .degraded),
        LiveCase(
            "a Pod with ErrImagePull is Degraded",
            liveObject(
                "v1", "Pod", spec: ["restartPolicy": "Never"],
                status: ["phase": "Pending", "containerStatuses": [["name": "app", "state": ["waiting": ["reason": "ErrImagePull"]]]]]),
            .degraded),
        LiveCase(
            "a Pod whose container is still being created is Progressing",
            liveObject(
                "v1", "Pod",
                status: [
                    "phase": "Pending", "containerStatuses": [["name": "app", "state": ["waiting": ["reason": "ContainerCreating"]]]],
                ]),
            .progressing),
    ]

    static let jobs: [LiveCase<HealthStatus>] = [
        LiveCase(
            "a Complete Job is Healthy", liveObject("batch/v1", "Job", status: ["conditions": [condition("Complete", "True")]]), .healthy),
        LiveCase(
            "a Failed Job is Degraded",
            liveObject("batch/v1", "Job", status: ["conditions": [condition("Failed", "True", reason: "BackoffLimitExceeded")]]), .degraded),
        LiveCase(
            "a suspended Job is Suspended",
            liveObject("batch/v1", "Job", spec: ["suspend": true], status: ["conditions": [condition("Suspended", "True")]]), .suspended),
        LiveCase("a running Job is Progressing", liveObject("batch/v1", "Job", status: ["active": 1]), .progressing),
    ]

    static let others: [LiveCase<HealthStatus>] = [
        LiveCase("a Bound claim is Healthy", liveObject("v1", "PersistentVolumeClaim", status: ["phase": "Bound"]), .healthy),
        LiveCase("a Pending claim is Progressing", liveObject("v1", "PersistentVolumeClaim", status: ["phase": "Pending"]), .progressing),
        LiveCase("a Lost claim is Degraded", liveObject("v1", "PersistentVolumeClaim", status: ["phase": "Lost"]), .degraded),
        LiveCase("a ClusterIP Service is Healthy", liveObject("v1", "Service", spec: ["type": "ClusterIP"]), .healthy),
        LiveCase("a Service without a type is Healthy", liveObject("v1", "Service"), .healthy),
        LiveCase(
            "a LoadBalancer Service without an ingress is Progressing",
            liveObject("v1", "Service", spec: ["type": "LoadBalancer"], status: ["loadBalancer": [:]]), .progressing),
        LiveCase(
            "a LoadBalancer Service with an ingress is Healthy",
            liveObject("v1", "Service", spec: ["type": "LoadBalancer"], status: ["loadBalancer": ["ingress": [["ip": "10.0.0.7"]]]]),
            .healthy),
        LiveCase(
            "an Ingress with a load-balancer address is Healthy",
            liveObject("networking.k8s.io/v1", "Ingress", status: ["loadBalancer": ["ingress": [["hostname": "lb.example"]]]]), .healthy),
        LiveCase("an Ingress without an address is Progressing", liveObject("networking.k8s.io/v1", "Ingress"), .progressing),
        LiveCase(
            "an Established CustomResourceDefinition is Healthy",
            liveObject(
                "apiextensions.k8s.io/v1", "CustomResourceDefinition",
                status: ["conditions": [condition("NamesAccepted", "True"), condition("Established", "True")]]),
            .healthy),
        LiveCase(
            "a CustomResourceDefinition not yet Established is Progressing",
            liveObject("apiextensions.k8s.io/v1", "CustomResourceDefinition", status: ["conditions": [condition("Established", "False")]]),
            .progressing),
        LiveCase(
            "a CustomResourceDefinition whose names are refused is Degraded",
            liveObject(
                "apiextensions.k8s.io/v1", "CustomResourceDefinition",
                status: [
                    "conditions": [condition("NamesAccepted", "False", reason: "ListKindConflict"), condition("Established", "False")]
                ]),
            .degraded),
        LiveCase(
            "an Available APIService is Healthy",
            liveObject("apiregistration.k8s.io/v1", "APIService", status: ["conditions": [condition("Available", "True")]]), .healthy),
        LiveCase(
            "an APIService that is not Available is Progressing",
            liveObject(
                "apiregistration.k8s.io/v1", "APIService",
                status: ["conditions": [condition("Available", "False", reason: "MissingEndpoints")]]),
            .progressing),
        LiveCase("a ConfigMap is Healthy once it exists", liveObject("v1", "ConfigMap"), .healthy),
        LiveCase(
            "a custom resource is Healthy once it exists", liveObject("example.com/v1", "Widget", status: ["phase": "Failed"]), .healthy),
        LiveCase(
            "a custom kind named Deployment in another group has no health check",
            liveObject("example.com/v1", "Deployment", generation: 5), .healthy),
    ]

    @Test(arguments: pods + jobs + others)
    func healthFollowsTheTable(_ row: LiveCase<HealthStatus>) {
        #expect(HealthCheck.health(of: row.live).status == row.expected)
    }

    @Test func anObjectThatDoesNotExistIsMissing() {
        #expect(HealthCheck.health(of: nil).status == .missing)
    }

    @Test func aCrashLoopingPodNamesItsContainer() {
        let live = liveObject(
            "v1", "Pod",
            status: [
                "phase": "Running",
                "containerStatuses": [
                    ["name": "app", "state": ["waiting": ["reason": "CrashLoopBackOff", "message": "back-off 40s restarting"]]]
                ],
            ])
        #expect(HealthCheck.health(of: live) == Health(.degraded, "container \"app\": CrashLoopBackOff: back-off 40s restarting"))
    }

    @Test func kindsWithAHealthCheckAreKnownByGroupAndKind() {
        #expect(HealthCheck.hasHealthCheck(GroupKind(group: "apps", kind: "Deployment")))
        #expect(!HealthCheck.hasHealthCheck(GroupKind(group: "", kind: "ConfigMap")))
        #expect(!HealthCheck.hasHealthCheck(GroupKind(group: "example.com", kind: "Deployment")))
    }
}
