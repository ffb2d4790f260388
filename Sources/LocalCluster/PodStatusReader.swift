import KubeModel

/// Reading a pod's status the way kubectl summarises it.
enum PodStatusReader {
    static func containerTerminated(_ pod: JSONValue, container: String) -> Bool {
        let phase = pod[path: ["status", "phase"]]?.stringValue
        if phase == "Succeeded" || phase == "Failed" { return true }
        let statuses = (pod[path: ["status", "containerStatuses"]]?.arrayValue ?? []) + (pod[path: ["status", "initContainerStatuses"]]?.arrayValue ?? [])
        guard let status = statuses.first(where: { $0["name"]?.stringValue == container }) else { return false }
        return status[path: ["state", "terminated"]] != nil
    }

    /// The STATUS column: a waiting or terminated reason when there is one, else the phase.
    static func displayStatus(_ pod: JSONValue) -> String {
        if pod.deletionTimestamp != nil { return "Terminating" }
        for status in pod[path: ["status", "containerStatuses"]]?.arrayValue ?? [] {
            if let reason = status[path: ["state", "waiting", "reason"]]?.stringValue { return reason }
            if let reason = status[path: ["state", "terminated", "reason"]]?.stringValue, pod[path: ["status", "phase"]] != "Running" {
                return reason
            }
        }
        return pod[path: ["status", "phase"]]?.stringValue ?? "Pending"
    }
}
