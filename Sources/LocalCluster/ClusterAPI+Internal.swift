import Foundation
import KubeModel

/// Writes made by the cluster itself: bootstrap objects and the simulated controllers.
extension ClusterAPI {
    static let controllerManager = "kube-controller-manager"

    /// Creates what a fresh cluster has (the standard namespaces, one node) and serves the kinds
    /// of the CRDs already stored.
    func bootstrap() throws {
        let namespaces = resourceType("", "Namespace")
        for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            _ = try? internalCreate(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]], resource: namespaces)
        }
        let nodes = resourceType("", "Node")
        if store.get(nodes.groupResource, ObjectKey(namespace: "", name: "local")) == nil {
            _ = try? internalCreate(
                [
                    "apiVersion": "v1", "kind": "Node",
                    "metadata": ["name": "local", "labels": ["kubernetes.io/hostname": "local", "kubernetes.io/os": "linux"]],
                    "status": [
                        "conditions": [["type": "Ready", "status": "True", "reason": "KubeletReady", "message": "LocalCluster node is ready"]],
                        "nodeInfo": ["kubeletVersion": "v1.32.0-sluice", "operatingSystem": "linux", "architecture": "amd64"],
                    ],
                ], resource: nodes)
        }
        refreshCustomResources()
        // Cluster IPs continue after the highest one handed out before a restart.
        let services = store.list(GroupResource(group: "", resource: "services"), namespace: nil).items
        let highest = services.compactMap { service -> UInt32? in
            let octets = (service[path: ["spec", "clusterIP"]]?.stringValue ?? "").split(separator: ".").compactMap { UInt32($0) }
            guard octets.count == 4, octets[0] == 10, octets[1] == 96, octets[3] >= 1 else { return nil }
            return octets[2] * 250 + octets[3] - 1
        }.max()
        if let highest { reserveClusterIPs(through: highest) }
    }

    /// A built-in resource type by group and kind.
    func resourceType(_ group: String, _ kind: String) -> ResourceType {
        BuiltinResources.all.first { $0.group == group && $0.kind == kind } ?? BuiltinResources.all[0]
    }

    /// Serves the kinds of every Established CRD that is not being deleted, and of `establishing`,
    /// a CRD about to be marked Established: its kinds are served before a client can see the
    /// condition, so that a client that waited for it is never answered 404.
    func refreshCustomResources(establishing: JSONValue? = nil) {
        let crds = store.list(GroupResource(group: "apiextensions.k8s.io", resource: "customresourcedefinitions"), namespace: nil).items
        var established = crds.filter { crd in
            crd.deletionTimestamp == nil
                && (crd[path: ["status", "conditions"]]?.arrayValue ?? []).contains { $0["type"] == "Established" && $0["status"] == "True" }
        }
        if let establishing, establishing.deletionTimestamp == nil, !established.contains(where: { $0.name == establishing.name }) {
            established.append(establishing)
        }
        registry.setCustomResources(established.flatMap(ResourceRegistry.resourceTypes(fromCRD:)))
    }

    /// Creates an object as a controller does; AlreadyExists is reported.
    @discardableResult
    func internalCreate(_ body: JSONValue, resource: ResourceType) throws(APIStatus) -> JSONValue {
        var object = try prepareCreate(body, resource: resource, namespace: resource.namespaced ? (body.namespace ?? "default") : nil, manager: nil)
        if let status = body["status"] { object["status"] = status }
        let key = ObjectKey(namespace: object.namespace ?? "", name: object.name ?? "")
        let stored = try store.mutate(resource.groupResource, key) { (current) throws(APIStatus) -> StoreMutation in
            if current != nil { throw APIStatus.alreadyExists(resource.groupResource, name: key.name) }
            return .put(object)
        }
        return stored ?? object
    }

    /// Changes an object in place as a controller does (status, finalizers, owner references):
    /// `change` edits it; nothing is written when it made no difference. Returns the stored object.
    @discardableResult
    func internalUpdate(_ resource: GroupResource, _ key: ObjectKey, _ change: (inout JSONValue) -> Void) -> JSONValue? {
        try? store.mutate(resource, key) { current -> StoreMutation in
            guard var object = current else { return .unchanged }
            change(&object)
            if object == current { return .unchanged }
            return finalized(object)
        }
    }

    /// Deletes an object as the garbage collector and namespace controller do: objects with
    /// finalizers are marked, others removed.
    func internalDelete(_ resource: GroupResource, _ key: ObjectKey, propagation: String = "Background") {
        guard let type = registry.all.first(where: { $0.groupResource == resource }) else {
            _ = try? store.mutate(resource, key) { _ in .delete }
            return
        }
        var options = (try? DeleteOptions(APIRequest(method: "DELETE", path: "", query: [:], contentType: "", accept: "", userAgent: "", body: [])))
        options?.propagation = propagation
        guard let options else { return }
        _ = try? store.mutate(resource, key) { (current) throws(APIStatus) -> StoreMutation in
            guard let current else { return .unchanged }
            if current.deletionTimestamp != nil && propagation == "Background" { return .unchanged }
            return try deletion(of: current, resource: type, options: options)
        }
    }
}
