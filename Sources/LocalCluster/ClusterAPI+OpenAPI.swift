import KubeModel

/// The OpenAPI v3 documents kubectl reads before it writes: it looks up each kind's PATCH
/// operation to learn that the server validates fields itself (`fieldValidation`). The documents
/// carry paths and parameters only, no schemas; without strategic merge patch listed among a
/// PATCH's request bodies, kubectl computes its client-side apply patches from its compiled-in
/// types, as it does for any server without schemas.
extension ClusterAPI {
    func openAPI(_ path: String) throws(APIStatus) -> APIResponse {
        let parts = path.split(separator: "/").map(String.init)
        if parts == ["openapi", "v2"] {
            // kubectl falls back to OpenAPI v2 (protobuf) for client-side validation when it cannot
            // read the v3 documents in time. An empty document is a valid one with no schemas: kubectl
            // then leaves validation to the server (`fieldValidation`), which types every write.
            return APIResponse(status: 200, contentType: "application/com.github.proto-openapi.spec.v2.v1.0+protobuf", body: .bytes([]))
        }
        guard parts.count >= 2, parts[0] == "openapi", parts[1] == "v3" else { throw notFoundPath() }
        if parts.count == 2 {
            var paths: [String: JSONValue] = [:]
            for groupVersion in [GroupVersion(group: "", version: "v1")] + registry.groupVersions {
                guard builtinGroupVersions.contains(groupVersion) else { continue }
                let name = groupVersion.group.isEmpty ? "api/v1" : "apis/\(groupVersion.group)/\(groupVersion.version)"
                let document = openAPIDocument(groupVersion)
                paths[name] = ["serverRelativeURL": .string("/openapi/v3/\(name)?hash=\(Self.hash(document.serialized()))")]
            }
            return .json(["paths": .object(paths)])
        }
        let rest = Array(parts.dropFirst(2))
        let groupVersion: GroupVersion
        switch (rest.first, rest.count) {
        case ("api", 2): groupVersion = GroupVersion(group: "", version: rest[1])
        case ("apis", 3): groupVersion = GroupVersion(group: rest[1], version: rest[2])
        default: throw notFoundPath()
        }
        guard builtinGroupVersions.contains(groupVersion) else { throw notFoundPath() }
        return .json(openAPIDocument(groupVersion))
    }

    private var builtinGroupVersions: Set<GroupVersion> {
        Set(BuiltinResources.all.map(\.groupVersion))
    }

    private func openAPIDocument(_ groupVersion: GroupVersion) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        let query = { (name: String) -> JSONValue in ["name": .string(name), "in": "query", "schema": ["type": "string", "uniqueItems": true]] }
        let content: JSONValue = [
            "application/json-patch+json": ["schema": ["type": "object"]], "application/merge-patch+json": ["schema": ["type": "object"]],
            "application/apply-patch+yaml": ["schema": ["type": "object"]],
        ]
        for resource in BuiltinResources.all where resource.groupVersion == groupVersion {
            let prefix = groupVersion.group.isEmpty ? "/api/v1" : "/apis/\(groupVersion.group)/\(groupVersion.version)"
            let collection = resource.namespaced ? "\(prefix)/namespaces/{namespace}/\(resource.plural)" : "\(prefix)/\(resource.plural)"
            let gvk: JSONValue = ["group": .string(resource.group), "version": .string(resource.version), "kind": .string(resource.kind)]
            let parameters: JSONValue = .array(["dryRun", "fieldManager", "fieldValidation", "force"].map(query))
            paths[collection] = [
                "post": ["x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "post", "parameters": parameters, "requestBody": ["content": ["application/json": ["schema": ["type": "object"]]]]],
                "get": ["x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "list"],
            ]
            paths[collection + "/{name}"] = [
                "get": ["x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "get"],
                "put": ["x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "put", "parameters": parameters],
                "patch": ["x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "patch", "parameters": parameters, "requestBody": ["content": content]],
                "delete": ["x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "delete"],
            ]
        }
        return [
            "openapi": "3.0.0", "info": ["title": "Kubernetes", "version": .string(Self.serverVersion["gitVersion"]?.stringValue ?? "")],
            "paths": .object(paths), "components": ["schemas": .emptyObject],
        ]
    }

    static func hash(_ text: String) -> String {
        String(StableHash.fnv1a(text), radix: 16, uppercase: true)
    }
}
