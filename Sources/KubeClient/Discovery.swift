import KubeModel
import Synchronization

/// Where a kind lives in the API: its resource path segment and whether it is namespaced.
public struct ResourceMapping: Sendable, Hashable {
    public var groupVersionKind: GroupVersionKind
    /// The plural used in paths, e.g. `deployments`.
    public var resource: String
    public var namespaced: Bool
    public var verbs: [String]

    /// `resource.group`, as Kubernetes names a resource in messages.
    public var groupResource: GroupResource { GroupResource(group: groupVersionKind.group, resource: resource) }
}

/// Discovery and REST mapping, cached per group version and refreshed on a miss, so that a kind
/// defined by a CRD created moments ago is found at once.
final class Discovery: Sendable {
    private let cache = Mutex<[GroupVersion: [String: ResourceMapping]]>([:])

    func mapping(for gvk: GroupVersionKind, transport: APITransport, timeout: Duration = .seconds(30)) async throws(KubeClientError) -> ResourceMapping {
        let groupVersion = gvk.groupVersion
        if let found = cache.withLock({ $0[groupVersion]?[gvk.kind] }) { return found }
        try await refresh(groupVersion, transport: transport, timeout: timeout)
        if let found = cache.withLock({ $0[groupVersion]?[gvk.kind] }) { return found }
        throw KubeClientError(.notServed, "no matches for kind \"\(gvk.kind)\" in version \"\(groupVersion.apiVersion)\"")
    }

    /// Reads one group version's resources from the server.
    func refresh(_ groupVersion: GroupVersion, transport: APITransport, timeout: Duration = .seconds(30)) async throws(KubeClientError) {
        let path = groupVersion.group.isEmpty ? "/api/\(groupVersion.version)" : "/apis/\(groupVersion.group)/\(groupVersion.version)"
        let response = try await transport.send(
            HTTPRequest(method: "GET", url: path, headers: [("Accept", "application/json")], timeout: timeout), idempotent: true,
            object: "discovery of \(groupVersion.apiVersion)")
        if response.status == 404 {
            cache.withLock { $0[groupVersion] = [:] }
            return
        }
        guard response.status == 200 else {
            throw KubeClientError.from(statusCode: response.status, body: response.body, object: "discovery of \(groupVersion.apiVersion)")
        }
        guard let document = try? JSONValue.parse(response.body), let resources = document["resources"]?.arrayValue else {
            throw KubeClientError(.other, "discovery of \(groupVersion.apiVersion): the server's answer is not an APIResourceList")
        }
        var mappings: [String: ResourceMapping] = [:]
        for resource in resources {
            guard let name = resource["name"]?.stringValue, !name.contains("/"), let kind = resource["kind"]?.stringValue else { continue }
            mappings[kind] = ResourceMapping(
                groupVersionKind: GroupVersionKind(group: groupVersion.group, version: groupVersion.version, kind: kind), resource: name,
                namespaced: resource["namespaced"]?.boolValue ?? false, verbs: resource["verbs"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
        cache.withLock { $0[groupVersion] = mappings }
    }

    /// Forgets everything (after a CRD is deleted, say).
    func invalidate() {
        cache.withLock { $0.removeAll() }
    }
}
