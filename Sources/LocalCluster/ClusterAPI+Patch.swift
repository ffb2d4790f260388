import Foundation
import KubeModel

extension ClusterAPI {
    func patch(_ request: APIRequest, resource: ResourceType, key: ObjectKey, subresource: String?) throws(APIStatus) -> APIResponse {
        let contentType = request.contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        if contentType == "application/apply-patch+yaml" {
            return try apply(request, resource: resource, key: key, subresource: subresource)
        }
        let patchBody: JSONValue
        do {
            patchBody = try JSONValue.parse(request.body)
        } catch {
            throw APIStatus.badRequest("the body of the request could not be decoded: \(error)")
        }
        let transform: (JSONValue) throws(APIStatus) -> JSONValue
        switch contentType {
        case "application/merge-patch+json":
            transform = { current in current.applyingMergePatch(patchBody) }
        case "application/json-patch+json":
            transform = { (current) throws(APIStatus) in
                do {
                    return try current.applyingJSONPatch(patchBody)
                } catch {
                    throw (error as? PatchError)?.status ?? APIStatus.badRequest("\(error)")
                }
            }
        case "application/strategic-merge-patch+json":
            guard !resource.isCustom else { throw APIStatus.unsupportedMediaType(contentType) }
            transform = { (current) throws(APIStatus) in
                do {
                    return try current.applyingStrategicMergePatch(patchBody, schema: resource.listSchema)
                } catch {
                    throw (error as? PatchError)?.status ?? APIStatus.badRequest("\(error)")
                }
            }
        default:
            throw APIStatus.unsupportedMediaType(contentType)
        }
        let manager = manager(request)
        let directive = try fieldValidation(request)
        var warnings: [String] = []
        let stored = try store.mutate(resource.groupResource, key, dryRun: request.isDryRun) { (current) throws(APIStatus) -> StoreMutation in
            guard let current else { throw APIStatus.notFound(resource.groupResource, name: key.name) }
            var patched = try transform(current)
            guard patched.objectValue != nil else { throw APIStatus.badRequest("the patch turned the object into \(patched.typeName)") }
            patched = try patchedFields(patched, resource: resource, directive: directive, warnings: &warnings)
            guard let updated = try prepareUpdate(patched, old: current, resource: resource, subresource: subresource, manager: manager) else {
                return .unchanged
            }
            return finalized(updated)
        }
        return .json(present(stored ?? .emptyObject, resource: resource), warnings: warnings)
    }

    /// Server-side apply: creates the object when missing, else merges the applied configuration
    /// with field ownership, refusing conflicts with other managers unless `force=true`.
    private func apply(_ request: APIRequest, resource: ResourceType, key: ObjectKey, subresource: String?) throws(APIStatus) -> APIResponse {
        guard let manager = request.query["fieldManager"], !manager.isEmpty else {
            throw APIStatus.badRequest("PATCH, application/apply-patch+yaml requests must specify fieldManager")
        }
        var applied = try decodeBody(request)
        guard let kind = applied.kind, !kind.isEmpty, let apiVersion = applied.apiVersion, !apiVersion.isEmpty else {
            throw APIStatus.badRequest("invalid object type: apiVersion and kind must be set in an applied configuration")
        }
        try checkKind(&applied, resource: resource)
        if let name = applied.name, name != key.name {
            throw APIStatus.badRequest("the name of the object (\(name)) does not match the name on the URL (\(key.name))")
        }
        if applied[path: ["metadata", "managedFields"]] != nil {
            throw APIStatus.badRequest("metadata.managedFields must be nil")
        }
        _ = try fieldValidation(request)
        try checkAppliedFields(applied, resource: resource, key: key)
        let force = request.flag("force")
        if resource.namespaced && store.get(resource.groupResource, key) == nil {
            try checkNamespace(key.namespace, resource: resource, name: key.name, creating: true)
        }
        let now = Timestamps.now()
        var created = false
        let stored = try store.mutate(resource.groupResource, key, dryRun: request.isDryRun) { (current) throws(APIStatus) -> StoreMutation in
            guard let current else {
                guard subresource == nil else { throw APIStatus.notFound(resource.groupResource, name: key.name) }
                var base = applied
                base.name = key.name
                let merged = try ServerSideApply.apply(live: nil, applied: base, manager: manager, force: force, schema: resource.listSchema, time: now)
                created = true
                return .put(
                    try prepareCreate(merged, resource: resource, namespace: resource.namespaced ? key.namespace : nil, manager: nil, checkNamespace: false))
            }
            let merged = try ServerSideApply.apply(live: current, applied: applied, manager: manager, force: force, schema: resource.listSchema, time: now)
            guard let updated = try prepareUpdate(merged, old: current, resource: resource, subresource: subresource, manager: nil) else {
                return .unchanged
            }
            return finalized(updated)
        }
        return .json(present(stored ?? .emptyObject, resource: resource), status: created ? 201 : 200)
    }
}
