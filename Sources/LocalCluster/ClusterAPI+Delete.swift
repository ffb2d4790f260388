import Foundation
import KubeModel

extension ClusterAPI {
    struct DeleteOptions {
        var propagation: String
        var uid: String?
        var resourceVersion: String?
        var dryRun: Bool

        init(_ request: APIRequest) throws(APIStatus) {
            var body = JSONValue.emptyObject
            if !request.body.isEmpty {
                do {
                    body = try JSONValue.parse(request.body)
                } catch {
                    throw APIStatus.badRequest("the body of the request could not be decoded as DeleteOptions: \(error)")
                }
            }
            propagation = body["propagationPolicy"]?.stringValue ?? request.query["propagationPolicy"] ?? "Background"
            if body["orphanDependents"]?.boolValue == true || request.query["orphanDependents"] == "true" { propagation = "Orphan" }
            guard ["Background", "Foreground", "Orphan"].contains(propagation) else {
                throw APIStatus.badRequest("DeleteOptions.propagationPolicy: Unsupported value: \"\(propagation)\": supported values: \"Foreground\", \"Background\", \"Orphan\"")
            }
            uid = body[path: ["preconditions", "uid"]]?.stringValue
            resourceVersion = body[path: ["preconditions", "resourceVersion"]]?.stringValue
            dryRun = request.isDryRun || (body["dryRun"]?.arrayValue?.contains("All") ?? false)
        }
    }

    func delete(_ request: APIRequest, resource: ResourceType, key: ObjectKey) throws(APIStatus) -> APIResponse {
        let options = try DeleteOptions(request)
        var pending = false
        let result = try store.mutate(resource.groupResource, key, dryRun: options.dryRun) { (current) throws(APIStatus) -> StoreMutation in
            guard let current else { throw APIStatus.notFound(resource.groupResource, name: key.name) }
            let decision = try deletion(of: current, resource: resource, options: options)
            if case .put = decision { pending = true }
            return decision
        }
        return .json(present(result ?? .emptyObject, resource: resource), status: pending ? 202 : 200)
    }

    /// What deleting `current` does: remove it at once, or mark it (deletionTimestamp) and leave
    /// its finalizers — and the garbage collector's, for foreground and orphan deletion — to finish.
    func deletion(of current: JSONValue, resource: ResourceType, options: DeleteOptions) throws(APIStatus) -> StoreMutation {
        let name = current.name ?? ""
        if let uid = options.uid, uid != current.uid {
            throw APIStatus.conflict(resource.groupResource, name: name, "Precondition failed: UID in precondition: \(uid), UID in object meta: \(current.uid ?? "")")
        }
        if let version = options.resourceVersion, version != current.resourceVersion {
            throw APIStatus.conflict(resource.groupResource, name: name, "Precondition failed: ResourceVersion in precondition: \(version), ResourceVersion in object meta: \(current.resourceVersion ?? "")")
        }
        var object = current
        var finalizers = object.finalizers
        switch options.propagation {
        case "Foreground" where !finalizers.contains("foregroundDeletion"): finalizers.append("foregroundDeletion")
        case "Orphan" where !finalizers.contains("orphan"): finalizers.append("orphan")
        default: break
        }
        let namespaceContent = resource.kind == "Namespace" && resource.group.isEmpty
        if finalizers.isEmpty && !namespaceContent { return .delete }
        if object.deletionTimestamp == nil {
            object.deletionTimestamp = Timestamps.now()
            object[path: ["metadata", "deletionGracePeriodSeconds"]] = 0
        }
        object.finalizers = finalizers
        if namespaceContent { object[path: ["status", "phase"]] = "Terminating" }
        return object == current ? .unchanged : .put(object)
    }

    func deleteCollection(_ request: APIRequest, resource: ResourceType, namespace: String?) throws(APIStatus) -> APIResponse {
        let selectors = try Selectors(request)
        let options = try DeleteOptions(request)
        let (items, _) = store.list(resource.groupResource, namespace: namespace)
        var deleted: [JSONValue] = []
        for item in items where selectors.matches(item) {
            let key = ObjectKey(namespace: item.namespace ?? "", name: item.name ?? "")
            let result = try? store.mutate(resource.groupResource, key, dryRun: options.dryRun) { (current) throws(APIStatus) -> StoreMutation in
                guard let current else { return .unchanged }
                return try deletion(of: current, resource: resource, options: options)
            }
            if let result { deleted.append(present(result, resource: resource)) }
        }
        return .json([
            "kind": .string(resource.listKind), "apiVersion": .string(resource.apiVersion),
            "metadata": ["resourceVersion": .string(String(store.revision))], "items": .array(deleted),
        ])
    }
}
