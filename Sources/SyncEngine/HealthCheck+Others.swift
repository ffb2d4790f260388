import KubeModel

/// Health of claims, networking objects and API extensions.
extension HealthCheck {
    /// Healthy once Bound, Degraded once Lost, Progressing while Pending.
    static func persistentVolumeClaimHealth(_ live: JSONValue) -> Health {
        switch live.string("status", "phase") {
        case "Bound": return Health(.healthy)
        case "Lost": return Health(.degraded, "PersistentVolumeClaim lost its volume")
        case let phase: return Health(.progressing, "PersistentVolumeClaim is \(phase ?? "Pending")")
        }
    }

    /// Healthy unless it is a LoadBalancer still waiting for an address.
    static func serviceHealth(_ live: JSONValue) -> Health {
        guard live.string("spec", "type") == "LoadBalancer" else { return Health(.healthy) }
        return live.hasLoadBalancerIngress ? Health(.healthy) : Health(.progressing, "Waiting for the load balancer to get an address")
    }

    /// Healthy once the ingress controller has published an address.
    static func ingressHealth(_ live: JSONValue) -> Health {
        live.hasLoadBalancerIngress ? Health(.healthy) : Health(.progressing, "Waiting for the ingress to get an address")
    }

    /// Healthy once Established; Degraded when its names are refused (`NamesAccepted=False`, a
    /// conflict with another definition).
    static func customResourceDefinitionHealth(_ live: JSONValue) -> Health {
        if let names = Condition.named("NamesAccepted", in: live), names.isFalse {
            return Health(.degraded, names.message.isEmpty ? "CustomResourceDefinition names were not accepted" : names.message)
        }
        if Condition.named("Established", in: live)?.isTrue == true { return Health(.healthy) }
        return Health(.progressing, "Waiting for the CustomResourceDefinition to be established")
    }

    /// Healthy once `Available=True`.
    static func apiServiceHealth(_ live: JSONValue) -> Health {
        let available = Condition.named("Available", in: live)
        if available?.isTrue == true { return Health(.healthy) }
        let message = available.map { $0.message.isEmpty ? $0.reason : $0.message } ?? ""
        return Health(.progressing, message.isEmpty ? "Waiting for the APIService to be available" : message)
    }
}
