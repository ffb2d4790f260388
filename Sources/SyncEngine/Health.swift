import KubeModel

/// The health of one live object, in Argo CD's words.
public enum HealthStatus: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The object is what its spec asks for.
    case healthy = "Healthy"
    /// The object is on its way (a rollout, a pending claim, a load balancer being provisioned).
    case progressing = "Progressing"
    /// The object failed or cannot get there on its own (a progress deadline, a crash loop, a lost
    /// volume).
    case degraded = "Degraded"
    /// The object is paused on purpose (a paused Deployment, a suspended Job).
    case suspended = "Suspended"
    /// The object does not exist.
    case missing = "Missing"

    /// `Healthy`, `Progressing`, `Degraded`, `Suspended` or `Missing`.
    public var description: String { rawValue }

    /// How bad it is, for taking the worst of many (Argo CD's order): Healthy 0, Suspended 1,
    /// Progressing 2, Missing 3, Degraded 4.
    public var severity: Int {
        switch self {
        case .healthy: 0
        case .suspended: 1
        case .progressing: 2
        case .missing: 3
        case .degraded: 4
        }
    }
}

/// A health status with a message that says why, for logs, the ledger and `sluice status`.
public struct Health: Sendable, Hashable, CustomStringConvertible {
    /// The status.
    public var status: HealthStatus
    /// Why the object has this status; empty when there is nothing to add.
    public var message: String

    /// A status with its reason.
    public init(_ status: HealthStatus, _ message: String = "") {
        self.status = status
        self.message = message
    }

    /// `STATUS` or `STATUS: MESSAGE`.
    public var description: String { message.isEmpty ? status.rawValue : "\(status.rawValue): \(message)" }
}

/// The health of normal (non-hook) objects, as SYNC-SEMANTICS.md's "Health of normal objects" table
/// defines it: Argo CD's built-in checks for the kinds it lists, and "healthy once it exists" for
/// every other kind, custom resources included.
///
/// A pure function of the live object: the engine reads the object and asks; nothing here talks to a
/// cluster.
public enum HealthCheck {
    /// What a wait for the object to become healthy is waiting for, as a progress line says it:
    /// `1 of 3 updated replicas are available`, `not created yet`, `Progressing`.
    public static func waitingText(_ live: JSONValue?) -> String {
        guard live != nil else { return "not created yet" }
        let health = health(of: live)
        var message = health.message
        for prefix in ["Waiting for rollout to finish: ", "Waiting for "] where message.hasPrefix(prefix) {
            message = (prefix == "Waiting for " ? "waiting for " : "") + message.dropFirst(prefix.count)
            break
        }
        while message.hasSuffix(".") { message.removeLast() }
        return message.isEmpty ? health.status.rawValue : message
    }

    /// The health of a live object; `Missing` when there is none.
    public static func health(of live: JSONValue?) -> Health {
        guard let live, live.objectValue != nil else { return Health(.missing, "the object does not exist") }
        guard let gvk = live.groupVersionKind else { return Health(.healthy) }
        switch (gvk.group, gvk.kind) {
        case ("apps", "Deployment"), ("extensions", "Deployment"): return deploymentHealth(live)
        case ("apps", "StatefulSet"): return statefulSetHealth(live)
        case ("apps", "DaemonSet"), ("extensions", "DaemonSet"): return daemonSetHealth(live)
        case ("apps", "ReplicaSet"), ("extensions", "ReplicaSet"): return replicaSetHealth(live)
        case ("", "Pod"): return podHealth(live)
        case ("batch", "Job"): return jobHealth(live)
        case ("", "PersistentVolumeClaim"): return persistentVolumeClaimHealth(live)
        case ("", "Service"): return serviceHealth(live)
        case ("networking.k8s.io", "Ingress"), ("extensions", "Ingress"): return ingressHealth(live)
        case ("apiextensions.k8s.io", "CustomResourceDefinition"): return customResourceDefinitionHealth(live)
        case ("apiregistration.k8s.io", "APIService"): return apiServiceHealth(live)
        default: return Health(.healthy)
        }
    }

    /// True when the kind has a health check of its own; objects of other kinds are healthy as soon
    /// as they exist.
    public static func hasHealthCheck(_ groupKind: GroupKind) -> Bool {
        checkedKinds.contains(groupKind)
    }

    private static let checkedKinds: Set<GroupKind> = [
        GroupKind(group: "apps", kind: "Deployment"), GroupKind(group: "extensions", kind: "Deployment"),
        GroupKind(group: "apps", kind: "StatefulSet"),
        GroupKind(group: "apps", kind: "DaemonSet"), GroupKind(group: "extensions", kind: "DaemonSet"),
        GroupKind(group: "apps", kind: "ReplicaSet"), GroupKind(group: "extensions", kind: "ReplicaSet"),
        GroupKind(group: "", kind: "Pod"), GroupKind(group: "batch", kind: "Job"),
        GroupKind(group: "", kind: "PersistentVolumeClaim"), GroupKind(group: "", kind: "Service"),
        GroupKind(group: "networking.k8s.io", kind: "Ingress"), GroupKind(group: "extensions", kind: "Ingress"),
        GroupKind(group: "apiextensions.k8s.io", kind: "CustomResourceDefinition"),
        GroupKind(group: "apiregistration.k8s.io", kind: "APIService"),
    ]
}

/// One entry of `status.conditions`.
struct Condition {
    var type: String
    var status: String
    var reason: String
    var message: String

    var isTrue: Bool { status == "True" }
    var isFalse: Bool { status == "False" }

    /// The conditions of an object, in the order written; entries without a type are skipped.
    static func all(of object: JSONValue) -> [Condition] {
        (object[path: ["status", "conditions"]]?.arrayValue ?? []).compactMap { entry in
            guard let type = entry["type"]?.stringValue else { return nil }
            return Condition(
                type: type, status: entry["status"]?.stringValue ?? "", reason: entry["reason"]?.stringValue ?? "",
                message: entry["message"]?.stringValue ?? "")
        }
    }

    /// The first condition of this type, if any.
    static func named(_ type: String, in object: JSONValue) -> Condition? {
        all(of: object).first { $0.type == type }
    }
}

extension JSONValue {
    /// An integer at a path; `nil` when missing or not an integer.
    func int(_ path: String...) -> Int64? { self[path: path]?.intValue }

    /// A string at a path; `nil` when missing or not a string.
    func string(_ path: String...) -> String? { self[path: path]?.stringValue }

    /// True when the controller has seen the latest spec: `status.observedGeneration` is present and
    /// not behind `metadata.generation` (a missing generation counts as 0).
    var observedGenerationIsCurrent: Bool {
        guard let observed = int("status", "observedGeneration") else { return false }
        return observed >= (generation ?? 0)
    }

    /// True when `status.loadBalancer.ingress` has at least one entry.
    var hasLoadBalancerIngress: Bool {
        !(self[path: ["status", "loadBalancer", "ingress"]]?.arrayValue ?? []).isEmpty
    }
}
