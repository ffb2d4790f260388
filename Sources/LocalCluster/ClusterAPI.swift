import Foundation
import KubeModel
import Synchronization

/// The Kubernetes API of a LocalCluster: routes a request to discovery or to a resource handler.
/// It knows nothing of HTTP servers or TLS; ``LocalCluster`` puts it behind Hummingbird.
final class ClusterAPI: Sendable {
    let store: ObjectStore
    let registry: ResourceRegistry
    let podLogs: PodLogStore
    private let serviceIPs = Mutex<UInt32>(0)
    /// Requests served, by their `apiserver_request_total` labels (``metricsText()``).
    private let requestCounts = Mutex<[RequestLabels: Int]>([:])

    init(store: ObjectStore, registry: ResourceRegistry, podLogs: PodLogStore) {
        self.store = store
        self.registry = registry
        self.podLogs = podLogs
    }

    static let serverVersion: JSONValue = [
        "major": "1", "minor": "36", "gitVersion": "v1.36.0-sluice", "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
        "platform": "linux/amd64",
    ]

    func handle(_ request: APIRequest) async -> APIResponse {
        let path = RequestPath(request.path)
        let response: APIResponse
        do {
            response = try await route(request, path)
        } catch {
            response = .error(error)
        }
        let labels = RequestLabels(request, path: path, status: response.status)
        requestCounts.withLock { $0[labels, default: 0] += 1 }
        return response
    }

    /// The labels a kube-apiserver gives a request in `apiserver_request_total`: the verb (`LIST`
    /// and `WATCH` for collection reads, `APPLY` for a server-side apply patch), `dry_run`, the
    /// resource and the status code; requests outside resources have only verb and code.
    struct RequestLabels: Hashable {
        var verb: String
        var dryRun: String
        var group = ""
        var version = ""
        var resource = ""
        var subresource = ""
        var code: Int

        /// Labels take a bounded set of values, as the kube-apiserver's do: an unknown method is
        /// `other`, and a path that was not found names no resource (a flood of made-up paths
        /// cannot grow the counters without bound).
        init(_ request: APIRequest, path requestPath: RequestPath, status: Int) {
            code = status
            dryRun = request.isDryRun ? "All" : ""
            verb = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].contains(request.method) ? request.method : "other"
            guard status != 404, case .resource(let path) = requestPath else { return }
            group = path.group
            version = path.version
            resource = path.plural
            subresource = path.subresource ?? ""
            switch request.method {
            case "GET" where path.name == nil: verb = request.flag("watch") ? "WATCH" : "LIST"
            case "PATCH" where request.contentType.hasPrefix("application/apply-patch"): verb = "APPLY"
            default: break
            }
        }
    }

    /// `/metrics` in the Prometheus text format: `apiserver_request_total`, as a kube-apiserver
    /// counts requests (tests read it to see how many requests, and dry runs, a client sent).
    func metricsText() -> String {
        let counts = requestCounts.withLock { $0 }
        var lines = [
            "# HELP apiserver_request_total Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.",
            "# TYPE apiserver_request_total counter",
        ]
        lines += counts.map { labels, count in
            "apiserver_request_total{code=\"\(labels.code)\",component=\"apiserver\",dry_run=\"\(labels.dryRun)\",group=\"\(labels.group)\","
                + "resource=\"\(labels.resource)\",subresource=\"\(labels.subresource)\",verb=\"\(labels.verb)\",version=\"\(labels.version)\"} \(count)"
        }.sorted()
        return lines.joined(separator: "\n") + "\n"
    }

    private func route(_ request: APIRequest, _ path: RequestPath) async throws(APIStatus) -> APIResponse {
        // Only resources take writes; discovery, health and OpenAPI are read-only.
        if request.method != "GET" {
            guard case .resource = path else {
                throw APIStatus.methodNotAllowed("the server does not allow this method on the requested resource")
            }
        }
        switch path {
        case .version: return .json(Self.serverVersion)
        case .healthz, .readyz, .livez: return .text("ok")
        case .openAPI: return try openAPI(request.path)
        case .metrics: return .text(metricsText())
        case .coreVersions:
            return .json([
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"]],
            ])
        case .groups: return .json(groupList())
        case .group(let name):
            guard let group = groupList()["groups"]?.arrayValue?.first(where: { $0["name"]?.stringValue == name }) else {
                throw notFoundPath()
            }
            var document = group
            document["kind"] = "APIGroup"
            document["apiVersion"] = "v1"
            return .json(document)
        case .groupVersion(let group, let version):
            let resources = registry.all.filter { $0.group == group && $0.version == version }
            guard !resources.isEmpty else { throw notFoundPath() }
            return .json([
                "kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": .string(GroupVersion(group: group, version: version).apiVersion),
                "resources": .array(resources.flatMap(\.discoveryEntries)),
            ])
        case .resource(let resourcePath):
            return try await handleResource(request, resourcePath)
        case .notFound:
            throw notFoundPath()
        }
    }

    func notFoundPath() -> APIStatus {
        APIStatus(reason: "NotFound", code: 404, message: "the server could not find the requested resource", details: .init())
    }

    private func groupList() -> JSONValue {
        var groups: [String: [String]] = [:]
        var order: [String] = []
        for groupVersion in registry.groupVersions {
            if groups[groupVersion.group] == nil { order.append(groupVersion.group) }
            groups[groupVersion.group, default: []].append(groupVersion.version)
        }
        return [
            "kind": "APIGroupList", "apiVersion": "v1",
            "groups": .array(
                order.map { name in
                    let versions = groups[name] ?? []
                    let entries = versions.map { JSONValue.object(["groupVersion": .string("\(name)/\($0)"), "version": .string($0)]) }
                    return ["name": .string(name), "versions": .array(entries), "preferredVersion": entries.first ?? .null]
                }),
        ]
    }

    private func handleResource(_ request: APIRequest, _ path: RequestPath.ResourcePath) async throws(APIStatus) -> APIResponse {
        guard let resource = registry.resource(group: path.group, version: path.version, plural: path.plural) else {
            throw notFoundPath()
        }
        if path.namespace != nil && !resource.namespaced { throw notFoundPath() }
        let namespace = resource.namespaced ? path.namespace : nil
        if let subresource = path.subresource {
            let allowed = (subresource == "status" && resource.hasStatus) || resource.subresources.contains(subresource)
                || (resource.kind == "Namespace" && subresource == "finalize")
            guard allowed, path.name != nil else { throw notFoundPath() }
        }
        guard let name = path.name else {
            switch request.method {
            case "GET":
                if request.flag("watch") { return try watch(request, resource: resource, namespace: namespace) }
                return try list(request, resource: resource, namespace: namespace)
            case "POST":
                guard resource.namespaced == false || namespace != nil else {
                    throw APIStatus.methodNotAllowed("the server does not allow this method on the requested resource")
                }
                return try create(request, resource: resource, namespace: namespace)
            case "DELETE":
                return try deleteCollection(request, resource: resource, namespace: namespace)
            default:
                throw APIStatus.methodNotAllowed("the server does not allow this method on the requested resource")
            }
        }
        if resource.namespaced && namespace == nil { throw notFoundPath() }
        let key = ObjectKey(namespace: namespace ?? "", name: name)
        switch (request.method, path.subresource) {
        case ("GET", "log"):
            return try await log(request, resource: resource, key: key)
        case ("GET", "scale"), ("PUT", "scale"), ("PATCH", "scale"):
            return try scale(request, resource: resource, key: key)
        case ("GET", _):
            guard let object = store.get(resource.groupResource, key) else {
                throw APIStatus.notFound(resource.groupResource, name: name)
            }
            let presented = present(object, resource: resource)
            if path.subresource == nil, let table = TableFormat(accept: request.accept, includeObject: request.query["includeObject"]) {
                return .json(table.table(for: [presented], resource: resource, metadata: ["resourceVersion": .string(presented.resourceVersion ?? "")]))
            }
            return .json(presented)
        case ("PUT", let subresource):
            return try update(request, resource: resource, key: key, subresource: subresource)
        case ("PATCH", let subresource):
            return try patch(request, resource: resource, key: key, subresource: subresource)
        case ("DELETE", nil):
            return try delete(request, resource: resource, key: key)
        default:
            throw APIStatus.methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }

    /// The object as served in `resource`'s version (a CRD's versions share one storage, with no
    /// conversion; core and events.k8s.io Events share one, with their fields renamed).
    func present(_ object: JSONValue, resource: ResourceType) -> JSONValue {
        guard object.apiVersion != resource.apiVersion else { return object }
        if resource.groupResource == EventVersions.eventsV1 { return EventVersions.toEventsV1(object) }
        if resource.groupResource == EventVersions.core { return EventVersions.toCore(object) }
        var copy = object
        copy.apiVersion = resource.apiVersion
        return copy
    }

    /// Makes the next cluster IP come after `number`.
    func reserveClusterIPs(through number: UInt32) {
        serviceIPs.withLock { $0 = max($0, number) }
    }

    /// The next service cluster IP, from 10.96.0.0/12.
    func allocateClusterIP() -> String {
        let number = serviceIPs.withLock { counter -> UInt32 in
            counter += 1
            return counter
        }
        return "10.96.\((number / 250) % 256).\(number % 250 + 1)"
    }
}
