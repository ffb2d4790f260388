import KubeModel

/// Health of Pods and Jobs.
extension HealthCheck {
    /// Healthy when Succeeded, or Running and Ready with restartPolicy `Always`; Degraded when Failed
    /// or when a container waits on a crash loop or an image it cannot pull. A Running Pod with
    /// restartPolicy `Never` or `OnFailure` is a run-to-completion Pod: Progressing until it ends.
    static func podHealth(_ live: JSONValue) -> Health {
        let phase = live.string("status", "phase") ?? ""
        if phase == "Pending" || phase == "Running", let stuck = stuckContainer(live) {
            return Health(.degraded, stuck)
        }
        switch phase {
        case "Succeeded":
            return Health(.healthy, live.string("status", "message") ?? "")
        case "Failed":
            return Health(.degraded, podFailureMessage(live))
        case "Running":
            let restartPolicy = live.string("spec", "restartPolicy") ?? "Always"
            if restartPolicy == "Always" {
                if Condition.named("Ready", in: live)?.isTrue == true { return Health(.healthy) }
                return Health(.progressing, "Pod is running but not ready")
            }
            return Health(.progressing, "Pod is running")
        default:
            let message = live.string("status", "message") ?? ""
            return Health(.progressing, message.isEmpty ? "Pod is \(phase.isEmpty ? "not yet scheduled" : phase)" : message)
        }
    }

    /// Healthy once the `Complete` condition is true, Degraded once `Failed` is, Suspended while
    /// `Suspended` is; Progressing otherwise.
    static func jobHealth(_ live: JSONValue) -> Health {
        let conditions = Condition.all(of: live)
        if let failed = conditions.first(where: { $0.type == "Failed" && $0.isTrue }) {
            return Health(.degraded, failed.message.isEmpty ? "Job failed: \(failed.reason)" : failed.message)
        }
        if let complete = conditions.first(where: { $0.type == "Complete" && $0.isTrue }) {
            return Health(.healthy, complete.message)
        }
        if let suspended = conditions.first(where: { $0.type == "Suspended" && $0.isTrue }) {
            return Health(.suspended, suspended.message.isEmpty ? "Job is suspended" : suspended.message)
        }
        return Health(.progressing, "Job is running")
    }

    /// A message for the first container (init containers included) that waits for a reason it
    /// will not leave on its own: Argo CD's test, a reason starting `Err` or ending `Error` or
    /// `BackOff` (`CrashLoopBackOff`, `ImagePullBackOff`, `ErrImagePull`, `CreateContainerConfigError`).
    static func stuckContainer(_ live: JSONValue) -> String? {
        let statuses =
            (live[path: ["status", "initContainerStatuses"]]?.arrayValue ?? [])
            + (live[path: ["status", "containerStatuses"]]?.arrayValue ?? [])
        for status in statuses {
            guard let reason = status[path: ["state", "waiting", "reason"]]?.stringValue,
                reason.hasPrefix("Err") || reason.hasSuffix("Error") || reason.hasSuffix("BackOff")
            else { continue }
            let container = status["name"]?.stringValue ?? ""
            let message = status[path: ["state", "waiting", "message"]]?.stringValue ?? ""
            return "container \"\(container)\": \(reason)" + (message.isEmpty ? "" : ": \(message)")
        }
        return nil
    }

    /// Why a Pod failed: its status message, else the first container that exited non-zero.
    static func podFailureMessage(_ live: JSONValue) -> String {
        if let message = live.string("status", "message"), !message.isEmpty { return message }
        let statuses =
            (live[path: ["status", "initContainerStatuses"]]?.arrayValue ?? [])
            + (live[path: ["status", "containerStatuses"]]?.arrayValue ?? [])
        for status in statuses {
            guard let terminated = status[path: ["state", "terminated"]], let code = terminated["exitCode"]?.intValue, code != 0
            else { continue }
            let container = status["name"]?.stringValue ?? ""
            let reason = terminated["reason"]?.stringValue.map { " (\($0))" } ?? ""
            return "container \"\(container)\" exited with code \(code)\(reason)"
        }
        return "Pod failed"
    }
}
