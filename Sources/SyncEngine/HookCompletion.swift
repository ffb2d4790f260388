import KubeModel

/// Where a hook stands, read from its live object (SYNC-SEMANTICS.md, "Hook completion").
public enum HookCompletion: Sendable, Hashable, CustomStringConvertible {
    /// Not finished yet: keep waiting (up to the hook's timeout).
    case running
    /// Finished successfully.
    case succeeded
    /// Finished unsuccessfully, with why.
    case failed(String)

    /// The state of a hook from its live object.
    ///
    /// - Job: the `Complete` condition succeeds, `Failed` fails; anything else (`Suspended=True`
    ///   included) waits.
    /// - Pod: phase `Succeeded` or `Failed`; a Pod with restartPolicy `Always` never ends, so it
    ///   succeeds once Ready.
    /// - Argo `Workflow`: `status.phase` `Succeeded`, or `Failed`/`Error`.
    /// - Any other kind with a health check: Healthy succeeds, Degraded fails, otherwise it waits.
    /// - Kinds without a health check (ConfigMap, Secret, ...) succeed as soon as they exist.
    ///
    /// Absence is the caller's to judge (not created yet, or deleted behind Sluice's back), so the
    /// object is required.
    public static func of(_ live: JSONValue) -> HookCompletion {
        let groupKind = live.groupVersionKind?.groupKind ?? GroupKind(group: "", kind: "")
        switch (groupKind.group, groupKind.kind) {
        case ("batch", "Job"): return jobCompletion(live)
        case ("", "Pod"): return podCompletion(live)
        case ("argoproj.io", "Workflow"): return workflowCompletion(live)
        default:
            let health = HealthCheck.health(of: live)
            switch health.status {
            case .healthy: return .succeeded
            case .degraded: return .failed(health.message)
            case .progressing, .suspended, .missing: return .running
            }
        }
    }

    /// `Running`, `Succeeded` or `Failed: MESSAGE`.
    public var description: String {
        switch self {
        case .running: return "Running"
        case .succeeded: return "Succeeded"
        case .failed(let message): return message.isEmpty ? "Failed" : "Failed: \(message)"
        }
    }

    private static func jobCompletion(_ live: JSONValue) -> HookCompletion {
        let conditions = Condition.all(of: live)
        if let failed = conditions.first(where: { $0.type == "Failed" && $0.isTrue }) {
            return .failed(failed.message.isEmpty ? "Job failed: \(failed.reason)" : failed.message)
        }
        if conditions.contains(where: { $0.type == "Complete" && $0.isTrue }) { return .succeeded }
        return .running
    }

    private static func podCompletion(_ live: JSONValue) -> HookCompletion {
        switch live.string("status", "phase") {
        case "Succeeded": return .succeeded
        case "Failed": return .failed(HealthCheck.podFailureMessage(live))
        default:
            let restartPolicy = live.string("spec", "restartPolicy") ?? "Always"
            if restartPolicy == "Always", Condition.named("Ready", in: live)?.isTrue == true { return .succeeded }
            return .running
        }
    }

    private static func workflowCompletion(_ live: JSONValue) -> HookCompletion {
        switch live.string("status", "phase") {
        case "Succeeded": return .succeeded
        case "Failed", "Error":
            let message = live.string("status", "message") ?? ""
            return .failed(message.isEmpty ? "Workflow \(live.string("status", "phase") ?? "failed")" : message)
        default: return .running
        }
    }
}
