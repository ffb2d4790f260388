import KubeModel
import SyncEngine
import Testing

@Suite struct HookCompletionTests {
    static let rows: [LiveCase<HookCompletion>] = [
        LiveCase(
            "a Job with the Complete condition succeeds",
            liveObject("batch/v1", "Job", status: ["conditions": [condition("Complete", "True")]]), .succeeded),
        LiveCase(
            "a Job with the Failed condition fails with its message",
            liveObject(
                "batch/v1", "Job",
                status: ["conditions": [condition("Failed", "True", message: "Job has reached the specified backoff limit")]]),
            .failed("Job has reached the specified backoff limit")),
        LiveCase(
            "a suspended Job waits",
            liveObject("batch/v1", "Job", status: ["conditions": [condition("Suspended", "True")]]), .running),
        LiveCase("a Job without conditions is running", liveObject("batch/v1", "Job", status: ["active": 1]), .running),
        LiveCase(
            "a Succeeded Pod succeeds", liveObject("v1", "Pod", spec: ["restartPolicy": "Never"], status: ["phase": "Succeeded"]),
            .succeeded),
        LiveCase(
            "a Failed Pod fails with the container that exited",
            liveObject(
                "v1", "Pod", spec: ["restartPolicy": "Never"],
                status: [
                    "phase": "Failed",
                    "containerStatuses": [["name": "migrate", "state": ["terminated": ["exitCode": 3, "reason": "Error"]]]],
                ]),
            .failed("container \"migrate\" exited with code 3 (Error)")),
        LiveCase(
            "a running Pod that never restarts is running",
            liveObject(
                "v1", "Pod", spec: ["restartPolicy": "Never"], status: ["phase": "Running", "conditions": [condition("Ready", "True")]]),
            .running),
        LiveCase(
            "a Pod that restarts Always succeeds once Ready",
            liveObject(
                "v1", "Pod", spec: ["restartPolicy": "Always"], status: ["phase": "Running", "conditions": [condition("Ready", "True")]]),
            .succeeded),
        LiveCase(
            "a Pod that restarts Always and is not Ready is running",
            liveObject(
                "v1", "Pod", spec: ["restartPolicy": "Always"], status: ["phase": "Running", "conditions": [condition("Ready", "False")]]),
            .running),
        LiveCase(
            "a Succeeded Workflow succeeds", liveObject("argoproj.io/v1alpha1", "Workflow", status: ["phase": "Succeeded"]), .succeeded),
        LiveCase(
            "a Failed Workflow fails with its message",
            liveObject("argoproj.io/v1alpha1", "Workflow", status: ["phase": "Failed", "message": "child 'step' failed"]),
            .failed("child 'step' failed")),
        LiveCase(
            "a Workflow in Error fails", liveObject("argoproj.io/v1alpha1", "Workflow", status: ["phase": "Error"]),
            .failed("Workflow Error")),
        LiveCase("a Running Workflow is running", liveObject("argoproj.io/v1alpha1", "Workflow", status: ["phase": "Running"]), .running),
        LiveCase("a Workflow without status is running", liveObject("argoproj.io/v1alpha1", "Workflow"), .running),
        LiveCase("a ConfigMap succeeds as soon as it exists", liveObject("v1", "ConfigMap"), .succeeded),
        LiveCase("a Secret succeeds as soon as it exists", liveObject("v1", "Secret"), .succeeded),
        LiveCase(
            "a Deployment hook waits for its rollout",
            liveObject("apps/v1", "Deployment", status: ["observedGeneration": 1, "updatedReplicas": 0]), .running),
    ]

    @Test(arguments: rows)
    func hookCompletionFollowsTheLiveObject(_ row: LiveCase<HookCompletion>) {
        #expect(HookCompletion.of(row.live) == row.expected)
    }
}
