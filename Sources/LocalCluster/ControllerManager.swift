import Foundation
import KubeModel
import Synchronization

/// The simulated control plane: garbage collection, namespace and CRD lifecycle, workload
/// controllers and a kubelet. It follows the store's event stream and reconciles one object at a
/// time on one task, so controllers never race each other; a periodic tick drives the time-based
/// rules (progress deadlines, active deadlines, TTLs, restart back-off).
final class ControllerManager: Sendable {
    enum Work: Sendable {
        case event(StoreEvent)
        case reconcile(GroupResource, ObjectKey)
        case tick
    }

    let api: ClusterAPI
    let kubelet: Kubelet
    let work: AsyncStream<Work>
    let enqueue: AsyncStream<Work>.Continuation
    private let tasks = Mutex<[Task<Void, Never>]>([])
    /// Objects whose state depends on time, rechecked on every tick.
    let timed = Mutex(Set<ObjectRef>())

    static let tickInterval = Duration.milliseconds(200)

    init(api: ClusterAPI, runPods: Bool, workDirectory: URL) {
        self.api = api
        (work, enqueue) = AsyncStream<Work>.makeStream()
        kubelet = Kubelet(api: api, runPods: runPods, workDirectory: workDirectory)
    }

    func start() {
        kubelet.onChange = { [enqueue] resource, key in enqueue.yield(.reconcile(resource, key)) }
        guard let (events, _, _, _) = try? api.store.watch(nil, namespace: nil, start: .withInitialState) else { return }
        let forward = Task { [enqueue] in
            for await event in events { enqueue.yield(.event(event)) }
        }
        let ticker = Task { [enqueue] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.tickInterval)
                enqueue.yield(.tick)
            }
        }
        let worker = Task { [self] in
            for await item in work {
                if Task.isCancelled { break }
                process(item)
            }
        }
        tasks.withLock { $0 = [forward, ticker, worker] }
    }

    func stop() async {
        let running = tasks.withLock { tasks in
            defer { tasks.removeAll() }
            return tasks
        }
        for task in running { task.cancel() }
        enqueue.finish()
        for task in running { await task.value }
        kubelet.stopAll()
    }

    private func process(_ item: Work) {
        switch item {
        case .event(let event):
            handle(event)
        case .reconcile(let resource, let key):
            reconcile(resource, key)
        case .tick:
            let due = timed.withLock { $0 }
            for ref in due { reconcile(ref.resource, ref.key) }
        }
    }

    private func handle(_ event: StoreEvent) {
        let key = ObjectKey(namespace: event.object.namespace ?? "", name: event.object.name ?? "")
        let ref = ObjectRef(resource: event.resource, key: key)
        let owners = event.object.ownerReferences.compactMap { api.store.ref(forUID: $0.uid) }
        if event.kind == .deleted {
            timed.withLock { _ = $0.remove(ref) }
            collectDependents(ofDeleted: event.object)
            if event.resource == Resources.pods { kubelet.podDeleted(event.object) }
            if event.resource == Resources.crds { removeCustomResources(of: event.object) }
            if !key.namespace.isEmpty { reconcile(Resources.namespaces, ObjectKey(namespace: "", name: key.namespace)) }
        } else {
            reconcile(event.resource, key)
        }
        // An owner waits on its dependents: tell it when one changes or goes.
        for owner in owners { reconcile(owner.resource, owner.key) }
    }

    /// Brings one object towards its desired state.
    func reconcile(_ resource: GroupResource, _ key: ObjectKey) {
        guard let object = api.store.get(resource, key) else { return }
        if object.deletionTimestamp != nil {
            finalize(object, resource: resource, key: key)
            if resource != Resources.pods { return }
        }
        switch resource {
        case Resources.crds: reconcileCRD(object, key: key)
        case Resources.deployments: reconcileDeployment(object, key: key)
        case Resources.replicaSets: reconcileReplicaSet(object, key: key)
        case Resources.statefulSets: reconcileStatefulSet(object, key: key)
        case Resources.daemonSets: reconcileDaemonSet(object, key: key)
        case Resources.jobs: reconcileJob(object, key: key)
        case Resources.pods: kubelet.reconcile(object, key: key)
        case Resources.persistentVolumeClaims: bindClaim(object, key: key)
        case Resources.services: provisionLoadBalancer(object, key: key)
        case Resources.ingresses: provisionIngress(object, key: key)
        default: break
        }
    }

    func setTimed(_ resource: GroupResource, _ key: ObjectKey, _ on: Bool) {
        let ref = ObjectRef(resource: resource, key: key)
        timed.withLock { timed in
            if on { timed.insert(ref) } else { timed.remove(ref) }
        }
    }

    private func reconcileCRD(_ crd: JSONValue, key: ObjectKey) {
        api.refreshCustomResources(establishing: crd)
        api.internalUpdate(Resources.crds, key) { crd in
            let names = crd[path: ["spec", "names"]] ?? .emptyObject
            var conditions = crd[path: ["status", "conditions"]]?.arrayValue ?? []
            for (type, reason, message) in [
                ("NamesAccepted", "NoConflicts", "no conflicts found"),
                ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
            ] where !conditions.contains(where: { $0["type"]?.stringValue == type }) {
                conditions.append(Self.condition(type, true, reason: reason, message: message))
            }
            crd[path: ["status", "conditions"]] = .array(conditions)
            crd[path: ["status", "acceptedNames"]] = names
            let versions = crd[path: ["spec", "versions"]]?.arrayValue?.filter { $0["storage"]?.boolValue == true }.compactMap { $0["name"] } ?? []
            crd[path: ["status", "storedVersions"]] = .array(versions)
        }
        api.refreshCustomResources()
    }

    private func removeCustomResources(of crd: JSONValue) {
        api.refreshCustomResources()
        guard let group = crd[path: ["spec", "group"]]?.stringValue, let plural = crd[path: ["spec", "names", "plural"]]?.stringValue else { return }
        let resource = GroupResource(group: group, resource: plural)
        for item in api.store.list(resource, namespace: nil).items {
            _ = try? api.store.mutate(resource, ObjectKey(namespace: item.namespace ?? "", name: item.name ?? "")) { _ in .delete }
        }
    }

    private func bindClaim(_ claim: JSONValue, key: ObjectKey) {
        guard claim[path: ["status", "phase"]]?.stringValue != "Bound" else { return }
        api.internalUpdate(Resources.persistentVolumeClaims, key) { claim in
            let volume = "pvc-\(claim.uid ?? key.name)"
            claim[path: ["spec", "volumeName"]] = .string(volume)
            if claim[path: ["spec", "storageClassName"]] == nil { claim[path: ["spec", "storageClassName"]] = "standard" }
            claim[path: ["status", "phase"]] = "Bound"
            claim[path: ["status", "accessModes"]] = claim[path: ["spec", "accessModes"]] ?? ["ReadWriteOnce"]
            claim[path: ["status", "capacity"]] = claim[path: ["spec", "resources", "requests"]] ?? ["storage": "1Gi"]
            var annotations = claim.annotations
            annotations["pv.kubernetes.io/bind-completed"] = "yes"
            claim.annotations = annotations
        }
    }

    private func provisionLoadBalancer(_ service: JSONValue, key: ObjectKey) {
        guard service[path: ["spec", "type"]]?.stringValue == "LoadBalancer",
            service[path: ["status", "loadBalancer", "ingress"]] == nil
        else { return }
        api.internalUpdate(Resources.services, key) { service in
            service[path: ["status", "loadBalancer", "ingress"]] = [["ip": "127.0.0.1", "ipMode": "VIP"]]
        }
    }

    /// An Ingress gets the address of the cluster's ingress controller, as on k3s (Traefik on the
    /// node's address): here 127.0.0.1, the address LoadBalancer Services get too.
    private func provisionIngress(_ ingress: JSONValue, key: ObjectKey) {
        guard ingress[path: ["status", "loadBalancer", "ingress"]]?.arrayValue?.isEmpty ?? true else { return }
        api.internalUpdate(Resources.ingresses, key) { ingress in
            ingress[path: ["status", "loadBalancer", "ingress"]] = [["ip": "127.0.0.1"]]
        }
    }

    static func condition(_ type: String, _ status: Bool, reason: String, message: String, now: String = Timestamps.now()) -> JSONValue {
        [
            "type": .string(type), "status": status ? "True" : "False", "reason": .string(reason), "message": .string(message),
            "lastTransitionTime": .string(now),
        ]
    }
}

/// A stored object's address.
struct ObjectRef: Hashable, Sendable {
    var resource: GroupResource
    var key: ObjectKey
}

/// The resources the controllers work on.
enum Resources {
    static let namespaces = GroupResource(group: "", resource: "namespaces")
    static let pods = GroupResource(group: "", resource: "pods")
    static let services = GroupResource(group: "", resource: "services")
    static let ingresses = GroupResource(group: "networking.k8s.io", resource: "ingresses")
    static let persistentVolumeClaims = GroupResource(group: "", resource: "persistentvolumeclaims")
    static let deployments = GroupResource(group: "apps", resource: "deployments")
    static let replicaSets = GroupResource(group: "apps", resource: "replicasets")
    static let statefulSets = GroupResource(group: "apps", resource: "statefulsets")
    static let daemonSets = GroupResource(group: "apps", resource: "daemonsets")
    static let jobs = GroupResource(group: "batch", resource: "jobs")
    static let crds = GroupResource(group: "apiextensions.k8s.io", resource: "customresourcedefinitions")
}
