import KubeModel

/// The schemas LocalCluster types objects with, as a real API server does when it decodes them:
/// the built-in kinds from Kubernetes' published OpenAPI schemas (generated into
/// `KubernetesSchemas+Data.swift` by `scripts/gen/kubernetes-schemas`, for the version the
/// cluster reports), and custom kinds from their CRD's `openAPIV3Schema`.
///
/// Schemas are compact JSON nodes: `t` the type (`object`, `array`, `string`, `integer`,
/// `number`, `boolean`, `int-or-string`, `quantity`, `any`), `p` declared properties, `a` the
/// schema of a map's values, `i` of a list's items, `r` a reference to a definition, `f` the
/// format, `lt`/`lk` the list type and keys, `pu` preserve unknown fields, `er` an embedded object.
enum KubernetesSchemas {
    /// The parsed document: `kinds` (`group/version/Kind` → definition) and `definitions`.
    static let parsed: JSONValue = (try? JSONValue.parse(Array(document.utf8))) ?? .emptyObject

    static var definitions: [String: JSONValue] { parsed["definitions"]?.objectValue ?? [:] }

    /// The Kubernetes version the schemas come from (`v1.36.0`).
    static var kubernetesVersion: String { parsed["kubernetes"]?.stringValue ?? "" }

    /// The root schema of a built-in kind, or nil when the published schemas do not have it.
    static func root(for gvk: GroupVersionKind) -> JSONValue? {
        let key = (gvk.group.isEmpty ? "" : gvk.group + "/") + gvk.version + "/" + gvk.kind
        guard let name = parsed["kinds"]?[key]?.stringValue else { return nil }
        return ["r": .string(name)]
    }

    /// The Go type name a definition decodes into (`v1.DeploymentSpec`), as decoding errors name it.
    static func goType(ofDefinition name: String) -> String {
        let parts = name.split(separator: ".")
        return parts.suffix(2).joined(separator: ".")
    }

    /// A CRD version's `openAPIV3Schema` in the compact form. The object's `apiVersion`, `kind` and
    /// `metadata` are always declared, as the API server's structural schema adds them.
    static func compact(customResource schema: JSONValue) -> JSONValue {
        var root = compact(structural: schema)
        var properties = root["p"]?.objectValue ?? [:]
        properties["apiVersion"] = ["t": "string"]
        properties["kind"] = ["t": "string"]
        properties["metadata"] = ["r": "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]
        root["p"] = .object(properties)
        root["t"] = "object"
        return root
    }

    /// One node of a structural schema (JSONSchemaProps) in the compact form.
    static func compact(structural node: JSONValue) -> JSONValue {
        var out: [String: JSONValue] = [:]
        if node["x-kubernetes-int-or-string"]?.boolValue == true {
            out["t"] = "int-or-string"
            return .object(out)
        }
        let type = node["type"]?.stringValue
        let preserve = node["x-kubernetes-preserve-unknown-fields"]?.boolValue == true
        let embedded = node["x-kubernetes-embedded-resource"]?.boolValue == true
        switch type {
        case "object"?, nil:
            if let properties = node["properties"]?.objectValue {
                out["p"] = .object(properties.mapValues { compact(structural: $0) })
            }
            if let additional = node["additionalProperties"], additional.objectValue != nil {
                out["a"] = compact(structural: additional)
            } else if node["additionalProperties"]?.boolValue == true {
                out["a"] = ["t": "any"]
            }
            if type == nil && out["p"] == nil && out["a"] == nil && !embedded {
                out["t"] = preserve ? "any" : "object"
            } else {
                out["t"] = "object"
            }
        case "array"?:
            out["t"] = "array"
            if let items = node["items"], items.objectValue != nil { out["i"] = compact(structural: items) }
        case let scalar?:
            out["t"] = .string(scalar)
            if let format = node["format"]?.stringValue { out["f"] = .string(format) }
        }
        if preserve { out["pu"] = true }
        if embedded {
            out["er"] = true
            var properties = out["p"]?.objectValue ?? [:]
            properties["apiVersion"] = properties["apiVersion"] ?? ["t": "string"]
            properties["kind"] = properties["kind"] ?? ["t": "string"]
            properties["metadata"] = properties["metadata"] ?? ["r": "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]
            out["p"] = .object(properties)
        }
        if let listType = node["x-kubernetes-list-type"]?.stringValue { out["lt"] = .string(listType) }
        if let keys = node["x-kubernetes-list-map-keys"]?.arrayValue { out["lk"] = .array(keys) }
        return .object(out)
    }
}
