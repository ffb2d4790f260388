import KubeModel

/// The order tasks run in (SYNC-SEMANTICS.md, "Ordering").
///
/// Sorted by phase (PreSync, Sync, PostSync, SyncFail), wave, kind order, name (byte order) and
/// namespace; then each Namespace moves to just before the first task in it, and each
/// CustomResourceDefinition to just before the first object of its kind, taking that task's phase
/// and wave. The result depends only on the tasks, never on the order they came in.
public enum TaskOrder {
    /// The kinds in the order they are applied; every other kind comes after them.
    public static let kinds: [String] = [
        "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget",
        "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
        "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
        "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
        "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job",
        "CronJob", "IngressClass", "Ingress", "APIService",
    ]

    private static let kindRanks: [String: Int] = Dictionary(
        kinds.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { first, _ in first })

    /// A kind's place in ``kinds``; every kind not listed shares the place after the last.
    public static func rank(ofKind kind: String) -> Int {
        kindRanks[kind] ?? kinds.count
    }

    /// The tasks in the order they run.
    public static func order(_ tasks: [SyncTask]) -> [SyncTask] {
        var sorted = tasks.sorted(by: precedes)
        pullForward(&sorted, dependency: namespaceKey, dependent: { $0.namespace.isEmpty ? nil : $0.namespace })
        pullForward(&sorted, dependency: definedKindKey, dependent: { "\($0.groupKind.group)/\($0.kind)" })
        return sorted
    }

    /// True when `lhs` runs before `rhs` by phase, wave, kind order, name and namespace. Group and
    /// kind break the remaining ties (two kinds outside the list with the same name and namespace),
    /// so the order is total.
    public static func precedes(_ lhs: SyncTask, _ rhs: SyncTask) -> Bool {
        if lhs.phase != rhs.phase { return lhs.phase < rhs.phase }
        if lhs.wave != rhs.wave { return lhs.wave < rhs.wave }
        let lhsRank = rank(ofKind: lhs.kind)
        let rhsRank = rank(ofKind: rhs.kind)
        if lhsRank != rhsRank { return lhsRank < rhsRank }
        for (left, right) in [
            (lhs.name, rhs.name), (lhs.namespace, rhs.namespace), (lhs.groupKind.group, rhs.groupKind.group), (lhs.kind, rhs.kind),
        ] where left != right {
            return left.utf8.lexicographicallyPrecedes(right.utf8)
        }
        return false
    }

    /// The namespace a Namespace task creates.
    private static func namespaceKey(_ task: SyncTask) -> String? {
        task.groupKind == GroupKind(group: "", kind: "Namespace") ? task.name : nil
    }

    /// `group/kind` of the custom resources a CustomResourceDefinition task defines.
    private static func definedKindKey(_ task: SyncTask) -> String? {
        guard task.groupKind == GroupKind(group: "apiextensions.k8s.io", kind: "CustomResourceDefinition"),
            let group = task.manifest.object[path: ["spec", "group"]]?.stringValue,
            let kind = task.manifest.object[path: ["spec", "names", "kind"]]?.stringValue
        else { return nil }
        return "\(group)/\(kind)"
    }

    /// Moves each task that provides something (`dependency` gives its key) to just before the first
    /// earlier task that needs it (`dependent` gives the key it needs), taking that task's phase and
    /// wave. Gitops-engine's `adjustDeps`: a provider already ahead of its dependents stays put.
    private static func pullForward(
        _ tasks: inout [SyncTask], dependency: (SyncTask) -> String?, dependent: (SyncTask) -> String?
    ) {
        var firstDependent: [String: Int] = [:]
        for index in tasks.indices {
            if let key = dependency(tasks[index]) {
                guard let target = firstDependent[key], target < index else { continue }
                var moved = tasks.remove(at: index)
                moved.phase = tasks[target].phase
                moved.wave = tasks[target].wave
                tasks.insert(moved, at: target)
                for (other, position) in firstDependent where position >= target {
                    firstDependent[other] = position + 1
                }
            } else if let key = dependent(tasks[index]), firstDependent[key] == nil {
                firstDependent[key] = index
            }
        }
    }
}
