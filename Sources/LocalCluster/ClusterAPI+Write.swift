import Foundation
import KubeModel

extension ClusterAPI {
    /// The field manager of a write: `?fieldManager=`, else the client's name from its User-Agent,
    /// as the API server derives it.
    func manager(_ request: APIRequest) -> String {
        if let name = request.query["fieldManager"], !name.isEmpty { return name }
        let agent = request.userAgent.split(separator: "/").first.map(String.init) ?? ""
        return agent.isEmpty ? "unknown" : agent
    }

    func decodeBody(_ request: APIRequest) throws(APIStatus) -> JSONValue {
        let body: JSONValue
        if request.contentType.hasPrefix(ProtobufBody.contentType) {
            body = try ProtobufBody.decode(request.body)
        } else if request.contentType.contains("yaml") {
            body = try JSONValue.parseYAMLDocument(request.body)
        } else {
            do {
                body = try JSONValue.parse(request.body)
            } catch {
                throw APIStatus.badRequest("the body of the request could not be decoded: \(error)")
            }
        }
        guard body.objectValue != nil else {
            throw APIStatus.badRequest("the body of the request must be a JSON object, not \(body.typeName)")
        }
        return body
    }

    /// Checks that a body names the kind the URL addresses, and fills in what it left out.
    func checkKind(_ object: inout JSONValue, resource: ResourceType) throws(APIStatus) {
        if let kind = object.kind, !kind.isEmpty, kind != resource.kind {
            throw APIStatus.badRequest("the API version in the data (\(object.apiVersion ?? "")) does not match the expected API version (\(resource.apiVersion)) or the kind \(kind) does not match \(resource.kind)")
        }
        if let apiVersion = object.apiVersion, let version = GroupVersion(apiVersion: apiVersion), version.group != resource.group {
            throw APIStatus.badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(resource.apiVersion))")
        }
        object.kind = resource.kind
        object.apiVersion = resource.apiVersion
    }

    /// The namespace must exist and not be terminating.
    func checkNamespace(_ namespace: String, resource: ResourceType, name: String, creating: Bool) throws(APIStatus) {
        guard resource.namespaced else { return }
        let namespaces = GroupResource(group: "", resource: "namespaces")
        guard let found = store.get(namespaces, ObjectKey(namespace: "", name: namespace)) else {
            throw APIStatus.notFound(namespaces, name: namespace)
        }
        if creating, found.deletionTimestamp != nil {
            throw APIStatus(
                reason: "Forbidden", code: 403,
                message: "\(resource.plural) \"\(name)\" is forbidden: unable to create new content in namespace \(namespace) because it is being terminated",
                details: .init(name: name, group: resource.group, kind: resource.plural))
        }
    }

    private static let nameAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    func generatedName(_ prefix: String) -> String {
        let trimmed = String(prefix.prefix(58))
        return trimmed + String((0..<5).map { _ in Self.nameAlphabet.randomElement() ?? "x" })
    }

    /// Completes a new object for storage: identity, timestamps, defaults, validation, managed fields.
    ///
    /// `checkNamespace` reads the store: callers already inside a store mutation check it beforehand.
    func prepareCreate(
        _ body: JSONValue, resource: ResourceType, namespace: String?, manager: String?, checkNamespace checking: Bool = true
    ) throws(APIStatus) -> JSONValue {
        var object = body
        try checkKind(&object, resource: resource)
        if let namespace {
            if let given = object.namespace, !given.isEmpty, given != namespace {
                throw APIStatus.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            object.namespace = namespace
        } else {
            object.namespace = nil
        }
        if object.name?.isEmpty ?? true {
            guard let prefix = object.generateName, !prefix.isEmpty else {
                throw APIStatus.invalid(
                    resource.groupKind, name: "",
                    causes: [APIStatus.Cause(reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name")])
            }
            object.name = generatedName(prefix)
        }
        let name = object.name ?? ""
        if let namespace, checking { try checkNamespace(namespace, resource: resource, name: name, creating: true) }
        for field in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
            object[path: ["metadata", field]] = nil
        }
        object.uid = UUID().uuidString.lowercased()
        object[path: ["metadata", "creationTimestamp"]] = .string(Timestamps.now())
        if resource.hasGeneration { object.generation = 1 } else { object.generation = nil }
        if resource.hasStatus && resource.kind != "Service" { object["status"] = nil }
        KindRules.applyDefaults(&object, resource: resource, allocateClusterIP: allocateClusterIP)
        try Admission.validate(object, old: nil, resource: resource)
        if let manager {
            object[path: ["metadata", "managedFields"]] = nil
            object = ServerSideApply.recordUpdate(old: nil, new: object, manager: manager, schema: resource.listSchema, time: Timestamps.now())
        }
        return object
    }

    /// Completes an updated object: keeps what a client cannot change, counts generations, validates.
    /// Returns nil when nothing changed (no new resourceVersion, as the API server does).
    func prepareUpdate(
        _ proposed: JSONValue, old: JSONValue, resource: ResourceType, subresource: String?, manager: String?
    ) throws(APIStatus) -> JSONValue? {
        var object = proposed
        try checkKind(&object, resource: resource)
        let name = old.name ?? ""
        if let given = object.name, given != name {
            throw APIStatus.badRequest("the name of the object (\(given)) does not match the name on the URL (\(name))")
        }
        if let given = object.namespace, !given.isEmpty, given != (old.namespace ?? "") {
            throw APIStatus.badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        if let version = object.resourceVersion, !version.isEmpty, version != old.resourceVersion {
            throw APIStatus.conflict(resource.groupResource, name: name, "the object has been modified; please apply your changes to the latest version and try again")
        }
        if subresource == "status" {
            var merged = old
            merged["status"] = object["status"]
            merged[path: ["metadata", "managedFields"]] = object[path: ["metadata", "managedFields"]] ?? old[path: ["metadata", "managedFields"]]
            object = merged
        } else if resource.hasStatus {
            object["status"] = old["status"]
        }
        for field in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generateName", "name", "namespace"] {
            object[path: ["metadata", field]] = old[path: ["metadata", field]]
        }
        if let oldTimestamp = old.deletionTimestamp {
            object.deletionTimestamp = oldTimestamp
            // Finalizers may only be removed from an object being deleted.
            let added = Set(object.finalizers).subtracting(old.finalizers)
            if !added.isEmpty {
                throw APIStatus.invalid(
                    resource.groupKind, name: name,
                    causes: [APIStatus.Cause(reason: "FieldValueForbidden", message: "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers \(added.sorted())", field: "metadata.finalizers")])
            }
        }
        KindRules.applyDefaults(&object, resource: resource, allocateClusterIP: allocateClusterIP)
        try Admission.validate(object, old: old, resource: resource)
        if resource.hasGeneration {
            object.generation = specChanged(object, old) ? (old.generation ?? 0) + 1 : old.generation
        } else {
            object.generation = nil
        }
        object.resourceVersion = old.resourceVersion
        if let manager {
            object = ServerSideApply.recordUpdate(old: old, new: object, manager: manager, schema: resource.listSchema, time: Timestamps.now())
        }
        if object == old { return nil }
        if Self.withoutManagedFieldTimes(object) == Self.withoutManagedFieldTimes(old) { return nil }
        return object
    }

    private static func withoutManagedFieldTimes(_ object: JSONValue) -> JSONValue {
        guard let entries = object[path: ["metadata", "managedFields"]]?.arrayValue else { return object }
        var copy = object
        copy[path: ["metadata", "managedFields"]] = .array(entries.map { entry in
            var entry = entry
            entry["time"] = nil
            return entry
        })
        return copy
    }

    /// Whether anything but metadata and status changed: what `generation` counts.
    func specChanged(_ new: JSONValue, _ old: JSONValue) -> Bool {
        var left = new
        var right = old
        for field in ["metadata", "status", "apiVersion", "kind"] {
            left[field] = nil
            right[field] = nil
        }
        return left != right
    }

    func create(_ request: APIRequest, resource: ResourceType, namespace: String?) throws(APIStatus) -> APIResponse {
        let directive = try fieldValidation(request)
        var warnings: [String] = []
        let body = try decodedFields(try decodeBody(request), resource: resource, directive: directive, warnings: &warnings)
        let object = try prepareCreate(body, resource: resource, namespace: namespace, manager: manager(request))
        let key = ObjectKey(namespace: object.namespace ?? "", name: object.name ?? "")
        let stored = try store.mutate(resource.groupResource, key, dryRun: request.isDryRun) { (current) throws(APIStatus) -> StoreMutation in
            if current != nil { throw APIStatus.alreadyExists(resource.groupResource, name: key.name) }
            return .put(object)
        }
        return .json(present(stored ?? object, resource: resource), status: 201, warnings: warnings)
    }

    func update(_ request: APIRequest, resource: ResourceType, key: ObjectKey, subresource: String?) throws(APIStatus) -> APIResponse {
        let directive = try fieldValidation(request)
        var warnings: [String] = []
        let body = try decodedFields(try decodeBody(request), resource: resource, directive: directive, warnings: &warnings)
        let manager = manager(request)
        let stored = try store.mutate(resource.groupResource, key, dryRun: request.isDryRun) { (current) throws(APIStatus) -> StoreMutation in
            guard let current else { throw APIStatus.notFound(resource.groupResource, name: key.name) }
            guard let updated = try prepareUpdate(body, old: current, resource: resource, subresource: subresource, manager: manager) else {
                return .unchanged
            }
            return finalized(updated)
        }
        return .json(present(stored ?? .emptyObject, resource: resource), warnings: warnings)
    }

    /// An object being deleted whose last finalizer went is removed.
    func finalized(_ object: JSONValue) -> StoreMutation {
        if object.deletionTimestamp != nil && object.finalizers.isEmpty { return .delete }
        return .put(object)
    }

    func scale(_ request: APIRequest, resource: ResourceType, key: ObjectKey) throws(APIStatus) -> APIResponse {
        func scaleObject(_ object: JSONValue) -> JSONValue {
            [
                "kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": ["name": .string(key.name), "namespace": .string(key.namespace), "uid": object["metadata"]?["uid"] ?? .null, "resourceVersion": object["metadata"]?["resourceVersion"] ?? .null, "creationTimestamp": object["metadata"]?["creationTimestamp"] ?? .null],
                "spec": ["replicas": object[path: ["spec", "replicas"]] ?? 0],
                "status": ["replicas": object[path: ["status", "replicas"]] ?? 0, "selector": .string(selectorText(object[path: ["spec", "selector"]]))],
            ]
        }
        if request.method == "GET" {
            guard let object = store.get(resource.groupResource, key) else { throw APIStatus.notFound(resource.groupResource, name: key.name) }
            return .json(scaleObject(object))
        }
        var body = try decodeBody(request)
        let manager = manager(request)
        let stored = try store.mutate(resource.groupResource, key, dryRun: request.isDryRun) { (current) throws(APIStatus) -> StoreMutation in
            guard let current else { throw APIStatus.notFound(resource.groupResource, name: key.name) }
            if request.method == "PATCH" {
                body = scaleObject(current).applyingMergePatch(body)
            }
            guard let replicas = body[path: ["spec", "replicas"]]?.intValue else {
                throw APIStatus.invalid(GroupKind(group: "autoscaling", kind: "Scale"), name: key.name, causes: [KindRules.required("spec.replicas")])
            }
            var updated = current
            updated[path: ["spec", "replicas"]] = .int(replicas)
            guard let prepared = try prepareUpdate(updated, old: current, resource: resource, subresource: nil, manager: manager) else { return .unchanged }
            return .put(prepared)
        }
        return .json(scaleObject(stored ?? .emptyObject))
    }

    func selectorText(_ selector: JSONValue?) -> String {
        guard let selector else { return "" }
        var parts = (selector["matchLabels"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.stringValue ?? "")" }
        for expression in selector["matchExpressions"]?.arrayValue ?? [] {
            let key = expression["key"]?.stringValue ?? ""
            let values = (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
            switch expression["operator"]?.stringValue {
            case "In": parts.append("\(key) in (\(values))")
            case "NotIn": parts.append("\(key) notin (\(values))")
            case "Exists": parts.append(key)
            case "DoesNotExist": parts.append("!\(key)")
            default: break
            }
        }
        return parts.joined(separator: ",")
    }
}
