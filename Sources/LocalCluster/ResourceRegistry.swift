import KubeModel
import Synchronization

/// The resources the cluster serves: the built-in kinds and the kinds of every Established
/// CustomResourceDefinition. Safe to read from any thread.
final class ResourceRegistry: Sendable {
    private struct State {
        var custom: [ResourceType] = []
    }

    private let state = Mutex(State())
    private let builtins: [ResourceType]

    init() {
        builtins = BuiltinResources.all
    }

    /// Every served resource, built-in first.
    var all: [ResourceType] {
        builtins + state.withLock { $0.custom }
    }

    /// The resource at `/apis/group/version/plural` (or `/api/v1/plural` with an empty group).
    func resource(group: String, version: String, plural: String) -> ResourceType? {
        if let found = builtins.first(where: { $0.group == group && $0.version == version && $0.plural == plural }) {
            return found
        }
        return state.withLock { state in
            state.custom.first { $0.group == group && $0.version == version && $0.plural == plural }
        }
    }

    /// The resource serving a kind in a given group and version.
    func resource(for gvk: GroupVersionKind) -> ResourceType? {
        if let found = builtins.first(where: { $0.group == gvk.group && $0.version == gvk.version && $0.kind == gvk.kind }) {
            return found
        }
        return state.withLock { state in
            state.custom.first { $0.group == gvk.group && $0.version == gvk.version && $0.kind == gvk.kind }
        }
    }

    /// The served group versions, in discovery order: the core group first, then groups by name.
    var groupVersions: [GroupVersion] {
        var seen = Set<GroupVersion>()
        var result: [GroupVersion] = []
        for resource in all where !resource.group.isEmpty {
            if seen.insert(resource.groupVersion).inserted { result.append(resource.groupVersion) }
        }
        return result
    }

    /// Replaces the custom kinds with those of the given Established CRDs.
    func setCustomResources(_ resources: [ResourceType]) {
        state.withLock { $0.custom = resources }
    }

    /// The resource types a CRD defines, one per served version; none when the CRD is malformed.
    static func resourceTypes(fromCRD crd: JSONValue) -> [ResourceType] {
        guard let spec = crd["spec"], let group = spec["group"]?.stringValue,
            let names = spec["names"], let plural = names["plural"]?.stringValue,
            let kind = names["kind"]?.stringValue
        else { return [] }
        let namespaced = spec["scope"]?.stringValue != "Cluster"
        let singular = names["singular"]?.stringValue ?? kind.lowercased()
        let shortNames = names["shortNames"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let categories = names["categories"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return (spec["versions"]?.arrayValue ?? []).compactMap { version in
            guard let name = version["name"]?.stringValue, version["served"]?.boolValue ?? true else { return nil }
            let hasStatus = version[path: ["subresources", "status"]] != nil
            let hasScale = version[path: ["subresources", "scale"]] != nil
            return ResourceType(
                group: group, version: name, kind: kind, plural: plural, singular: singular, namespaced: namespaced,
                shortNames: shortNames, categories: categories, hasStatus: hasStatus, hasGeneration: true, isCustom: true,
                subresources: hasScale ? ["scale"] : [], openAPISchema: version[path: ["schema", "openAPIV3Schema"]].map(KubernetesSchemas.compact(customResource:)))
        }
    }
}
