/// How a list field merges: replaced whole, merged as a set of scalars, or merged element by
/// element on key fields. Strategic merge patch and server-side apply both follow it.
public enum ListType: Sendable, Hashable {
    /// The list is one value: a patch or an applier replaces it whole (`args`, `tolerations`).
    case atomic
    /// A list of scalars merged as a set (`metadata.finalizers`).
    case set
    /// A list of objects identified by these key fields (`containers` by `name`). The first key is
    /// the strategic-merge-patch `patchMergeKey`; server-side apply uses all of them.
    case map(keys: [String])
}

/// The list types of one kind's fields, found by the field path from the object's root with list
/// elements left out (`["spec", "template", "spec", "containers", "ports"]`).
///
/// Built-in kinds use the merge keys that Kubernetes' own types declare for the common lists;
/// custom resources treat every list as atomic, as the API server does without
/// `x-kubernetes-list-type` in the CRD's schema.
public struct ListSchema: Sendable, Hashable {
    /// Whether the kind is built in (its lists have merge keys) or custom (every list atomic).
    public var isBuiltin: Bool

    public init(isBuiltin: Bool) {
        self.isBuiltin = isBuiltin
    }

    /// The schema for built-in kinds.
    public static let builtin = ListSchema(isBuiltin: true)
    /// The schema for custom resources.
    public static let custom = ListSchema(isBuiltin: false)

    /// The list type of the field at `path`.
    public func listType(at path: [String]) -> ListType {
        guard let field = path.last else { return .atomic }
        if path == ["metadata", "finalizers"] { return .set }
        if path == ["metadata", "ownerReferences"] { return .map(keys: ["uid"]) }
        if field == "conditions" && path.first == "status" { return .map(keys: ["type"]) }
        guard isBuiltin else { return .atomic }
        let parent = path.count >= 2 ? path[path.count - 2] : ""
        switch field {
        case "containers", "initContainers", "ephemeralContainers", "imagePullSecrets", "volumes", "resourceClaims":
            return .map(keys: ["name"])
        case "env":
            return .map(keys: ["name"])
        case "volumeMounts":
            return .map(keys: ["mountPath"])
        case "volumeDevices":
            return .map(keys: ["devicePath"])
        case "hostAliases":
            return .map(keys: ["ip"])
        case "topologySpreadConstraints":
            return .map(keys: ["topologyKey", "whenUnsatisfiable"])
        case "ports":
            switch parent {
            case "containers", "initContainers", "ephemeralContainers":
                return .map(keys: ["containerPort", "protocol"])
            case "spec":
                // Service.spec.ports.
                return .map(keys: ["port", "protocol"])
            default:
                return .atomic
            }
        default:
            return .atomic
        }
    }

    /// The value a key field takes when an element leaves it out: Kubernetes defaults a port's
    /// `protocol` to `TCP`, so `{containerPort: 80}` and `{containerPort: 80, protocol: TCP}` are the
    /// same element.
    public static func defaultKeyValue(_ key: String) -> JSONValue? {
        key == "protocol" ? "TCP" : nil
    }
}
