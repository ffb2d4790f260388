import KubeModel

/// One resource the cluster serves: the kind, where it lives in the URL space, and how it behaves.
struct ResourceType: Sendable, Hashable {
    var group: String
    var version: String
    var kind: String
    /// The plural used in paths, e.g. `deployments`.
    var plural: String
    var singular: String
    var namespaced: Bool
    var shortNames: [String] = []
    var categories: [String] = []
    /// Whether it has a `status` subresource: writes to the main resource then keep the stored
    /// status, writes to `/status` keep everything else, and `generation` counts spec changes only.
    var hasStatus: Bool = false
    /// Whether `metadata.generation` is kept at all.
    var hasGeneration: Bool = false
    /// Whether the kind is defined by a CustomResourceDefinition.
    var isCustom: Bool = false
    /// Extra subresources beyond `status` (e.g. `log` for pods, `scale` for workloads).
    var subresources: [String] = []
    /// A custom kind's `openAPIV3Schema` for this version, in ``KubernetesSchemas``' compact form
    /// (converted once, when the CRD is read): its objects are typed and pruned by it.
    var openAPISchema: JSONValue? = nil

    var groupResource: GroupResource { GroupResource(group: group, resource: plural) }
    var groupVersion: GroupVersion { GroupVersion(group: group, version: version) }
    var groupKind: GroupKind { GroupKind(group: group, kind: kind) }
    var gvk: GroupVersionKind { GroupVersionKind(group: group, version: version, kind: kind) }
    var apiVersion: String { groupVersion.apiVersion }
    var listKind: String { kind + "List" }
    var listSchema: ListSchema { isCustom ? .custom : .builtin }

    static let allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    /// The entry in `/api/v1` or `/apis/GROUP/VERSION` discovery.
    var discoveryEntries: [JSONValue] {
        var main: JSONValue = [
            "name": .string(plural), "singularName": .string(singular), "namespaced": .bool(namespaced),
            "kind": .string(kind), "verbs": .array(Self.allVerbs.map(JSONValue.string)),
        ]
        if !shortNames.isEmpty { main["shortNames"] = .array(shortNames.map(JSONValue.string)) }
        if !categories.isEmpty { main["categories"] = .array(categories.map(JSONValue.string)) }
        var entries = [main]
        if hasStatus {
            entries.append([
                "name": .string(plural + "/status"), "singularName": "", "namespaced": .bool(namespaced),
                "kind": .string(kind), "verbs": ["get", "patch", "update"],
            ])
        }
        for subresource in subresources {
            switch subresource {
            case "log":
                entries.append([
                    "name": .string(plural + "/log"), "singularName": "", "namespaced": .bool(namespaced),
                    "kind": "Pod", "verbs": ["get"],
                ])
            case "scale":
                entries.append([
                    "name": .string(plural + "/scale"), "singularName": "", "namespaced": .bool(namespaced),
                    "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"],
                ])
            default:
                break
            }
        }
        return entries
    }
}
