import Foundation
import KubeModel
import Logging

/// A Kubernetes API client over libcurl: discovery and REST mapping, get, list, create,
/// server-side apply, merge patch, delete, watch and pod logs, every mutation optionally a dry run.
///
/// Requests share one connection pool, pass a client-side rate limiter, and are retried with
/// back-off when the server is overloaded (429/503, honouring `Retry-After`) or, for idempotent
/// requests, unreachable. Cancelling the calling task cancels its transfer.
public final class KubeClient: Sendable {
    /// Tuning.
    public struct Options: Sendable {
        /// Average requests per second (client-go's 5 is a known trap for GitOps tools); 0 turns the
        /// limit off. `nil` (the default): 50, until the server announces API Priority and Fairness;
        /// from then on the server throttles (429 with Retry-After, honoured) and only
        /// ``maxInFlight`` bounds the client. A rate that is set always holds.
        public var qps: Double?
        /// Requests allowed at once above the average.
        public var burst: Int = 100
        /// Requests in flight at once, whatever the rate (watches and followed logs aside).
        public var maxInFlight: Int = 64

        /// The rate when none is chosen and the server does not throttle itself.
        public static let defaultQPS: Double = 50
        /// The limit for one non-streaming request.
        public var requestTimeout: Duration = .seconds(60)
        /// The field manager of server-side applies.
        public var fieldManager = "sluice"
        public var userAgent = "sluice"

        public init() {}
    }

    /// The namespace for namespaced objects that name none.
    public let defaultNamespace: String
    /// The server's URL.
    public let server: String

    /// Whether the server has answered over HTTP/2 or HTTP/3, so that requests in flight at once
    /// share one connection; `false` until it has answered over one (the first request of a session
    /// is `/version`), and for an HTTP/1.1 server such as LocalCluster.
    public var multiplexes: Bool { transport.multiplexes }

    /// The most requests this client has had in flight at once so far: over HTTP/1.1, about how
    /// many connections to the server are open in the pool, warm for as many requests at once.
    public var peakRequestsInFlight: Int { transport.inFlight.peak }
    let options: Options
    let transport: APITransport
    let discovery = Discovery()
    let apiVersionsCache = APIVersionsCache()

    init(
        server: String, settings: TransportSettings, defaultNamespace: String, options: Options,
        authenticate: @escaping @Sendable () async throws -> ClusterConnection.RequestAuthentication,
        rejected: @escaping @Sendable (ClusterConnection.RequestAuthentication) -> Bool = { _ in false }
    ) {
        self.server = server
        self.defaultNamespace = defaultNamespace
        self.options = options
        transport = APITransport(
            server: server, settings: settings,
            limiter: RateLimiter(qps: options.qps ?? Options.defaultQPS, burst: options.burst, yieldsToServer: options.qps == nil),
            inFlight: InFlightLimit(options.maxInFlight), userAgent: options.userAgent,
            authenticate: authenticate, rejected: rejected)
    }

    /// A client for the cluster a kubeconfig or the in-cluster configuration points at.
    public convenience init(connection: ClusterConnection, options: Options = Options()) {
        let settings = TransportSettings(
            caPEM: connection.tls.caPEM, insecureSkipVerify: connection.tls.insecureSkipVerify,
            clientCertificatePEM: connection.tls.clientCertificatePEM, clientKeyPEM: connection.tls.clientKeyPEM, proxyURL: connection.proxyURL)
        self.init(
            server: connection.server, settings: settings, defaultNamespace: connection.namespace, options: options,
            authenticate: { try await connection.requestAuthentication() },
            rejected: { connection.credentialsRejected($0) })
    }

    // MARK: Paths

    /// The REST mapping of a kind (discovered, cached, refreshed on a miss).
    public func mapping(for gvk: GroupVersionKind) async throws(KubeClientError) -> ResourceMapping {
        try await discovery.mapping(for: gvk, transport: transport, timeout: options.requestTimeout)
    }

    /// The server's preferred version of a group and kind (for objects known only by group and kind,
    /// such as inventory entries); `nil` when the group is not served.
    public func preferredVersion(of groupKind: GroupKind) async throws(KubeClientError) -> GroupVersionKind? {
        guard !groupKind.group.isEmpty else { return GroupVersionKind(group: "", version: "v1", kind: groupKind.kind) }
        let group: JSONValue
        do {
            group = try await request("GET", "/apis/\(Self.escape(groupKind.group))", idempotent: true, object: "API group \(groupKind.group)")
        } catch let error where error.code == .notFound {
            return nil
        }
        guard let version = group[path: ["preferredVersion", "version"]]?.stringValue else { return nil }
        return GroupVersionKind(group: groupKind.group, version: version, kind: groupKind.kind)
    }

    func path(_ mapping: ResourceMapping, namespace: String?, name: String? = nil, subresource: String? = nil) -> String {
        let gvk = mapping.groupVersionKind
        var path = gvk.group.isEmpty ? "/api/\(gvk.version)" : "/apis/\(gvk.group)/\(gvk.version)"
        if mapping.namespaced { path += "/namespaces/\(Self.escape(namespace ?? defaultNamespace))" }
        path += "/\(mapping.resource)"
        if let name { path += "/\(Self.escape(name))" }
        if let subresource { path += "/\(subresource)" }
        return path
    }

    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? segment
    }

    static func query(_ items: [(String, String?)]) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+,;!$'()*?/")
        let pairs = items.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0)" }
        }
        return pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&")
    }

    /// How an object is named in messages: `deployments.apps "web" in namespace "shop"`.
    static func describe(_ mapping: ResourceMapping, namespace: String?, name: String?) -> String {
        var text = mapping.groupResource.description
        if let name { text += " \"\(name)\"" }
        if mapping.namespaced, let namespace { text += " in namespace \"\(namespace)\"" }
        return text
    }

    func request(
        _ method: String, _ url: String, body: JSONValue? = nil, contentType: String = "application/json", idempotent: Bool, object: String
    ) async throws(KubeClientError) -> JSONValue {
        var headers = [("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", contentType)) }
        let response = try await transport.send(
            HTTPRequest(method: method, url: url, headers: headers, body: body?.serializedBytes(), timeout: options.requestTimeout),
            idempotent: idempotent, object: object)
        if let warning = response.headers["warning"] { ServerWarnings.current?.add(ServerWarnings.parse(warning)) }
        guard (200..<300).contains(response.status) else {
            throw KubeClientError.from(statusCode: response.status, body: response.body, object: object)
        }
        do {
            return try JSONValue.parse(response.body)
        } catch {
            throw KubeClientError(.other, "\(object): the server's answer is not JSON: \(error)")
        }
    }

    // MARK: Operations

    /// The server's `/version`.
    public func serverVersion() async throws(KubeClientError) -> JSONValue {
        try await request("GET", "/version", idempotent: true, object: "the server version")
    }

    /// One object; `.notFound` when missing.
    public func get(_ gvk: GroupVersionKind, namespace: String? = nil, name: String) async throws(KubeClientError) -> JSONValue {
        let mapping = try await mapping(for: gvk)
        let namespace = mapping.namespaced ? (namespace ?? defaultNamespace) : nil
        return try await request("GET", path(mapping, namespace: namespace, name: name), idempotent: true, object: Self.describe(mapping, namespace: namespace, name: name))
    }

    /// The objects of a kind, following pagination; `namespace` nil lists all namespaces.
    public func list(
        _ gvk: GroupVersionKind, namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil, pageSize: Int = 500
    ) async throws(KubeClientError) -> ObjectList {
        let mapping = try await mapping(for: gvk)
        let namespace = mapping.namespaced ? namespace : nil
        var base = mapping
        if namespace == nil { base.namespaced = false }
        var items: [JSONValue] = []
        var token: String?
        var resourceVersion = ""
        repeat {
            let url = path(base, namespace: namespace) + Self.query([
                ("labelSelector", labelSelector), ("fieldSelector", fieldSelector), ("limit", String(pageSize)), ("continue", token),
            ])
            let page = try await request("GET", url, idempotent: true, object: Self.describe(mapping, namespace: namespace, name: nil))
            items += page["items"]?.arrayValue ?? []
            resourceVersion = page[path: ["metadata", "resourceVersion"]]?.stringValue ?? resourceVersion
            token = page[path: ["metadata", "continue"]]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        let kind = gvk.kind
        let apiVersion = gvk.groupVersion.apiVersion
        // Lists omit each item's kind and apiVersion; put them back.
        items = items.map { item in
            var item = item
            if item.kind == nil { item.kind = kind }
            if item.apiVersion == nil { item.apiVersion = apiVersion }
            return item
        }
        return ObjectList(items: items, resourceVersion: resourceVersion)
    }

    /// Creates an object; `.alreadyExists` when it does.
    /// `fieldValidation` (`Strict`, `Warn`, `Ignore`) says what the server does with fields its schema
    /// does not declare; without it, the server's default (`Warn`).
    public func create(_ object: JSONValue, dryRun: Bool = false, fieldValidation: String? = nil) async throws(KubeClientError) -> JSONValue {
        let (mapping, namespace, name) = try await locate(object)
        let url = path(mapping, namespace: namespace) + Self.query([
            ("dryRun", dryRun ? "All" : nil), ("fieldManager", options.fieldManager), ("fieldValidation", fieldValidation),
        ])
        noteWrite(of: object.kind, group: object.groupVersionKind?.group, dryRun: dryRun)
        return try await request("POST", url, body: object, idempotent: false, object: Self.describe(mapping, namespace: namespace, name: name))
    }

    /// Server-side apply with the field manager `sluice`; `force` takes fields from other managers.
    public func apply(_ object: JSONValue, force: Bool = true, dryRun: Bool = false) async throws(KubeClientError) -> JSONValue {
        let (mapping, namespace, name) = try await locate(object)
        guard let name else {
            throw KubeClientError(.invalid, "\(Self.describe(mapping, namespace: namespace, name: nil)): server-side apply needs metadata.name")
        }
        var body = object
        if mapping.namespaced { body.namespace = namespace }
        let url = path(mapping, namespace: namespace, name: name) + Self.query([
            ("fieldManager", options.fieldManager), ("force", force ? "true" : nil), ("dryRun", dryRun ? "All" : nil),
        ])
        noteWrite(of: object.kind, group: object.groupVersionKind?.group, dryRun: dryRun)
        return try await request("PATCH", url, body: body, contentType: "application/apply-patch+yaml", idempotent: true, object: Self.describe(mapping, namespace: namespace, name: name))
    }

    /// Replaces an object (PUT): the object must carry the live `metadata.resourceVersion`, so a
    /// concurrent change is refused with `.conflict` instead of being overwritten.
    public func replace(_ object: JSONValue, dryRun: Bool = false) async throws(KubeClientError) -> JSONValue {
        let (mapping, namespace, name) = try await locate(object)
        guard let name else {
            throw KubeClientError(.invalid, "\(Self.describe(mapping, namespace: namespace, name: nil)): replace needs metadata.name")
        }
        var body = object
        if mapping.namespaced { body.namespace = namespace }
        let url = path(mapping, namespace: namespace, name: name) + Self.query([("fieldManager", options.fieldManager), ("dryRun", dryRun ? "All" : nil)])
        noteWrite(of: object.kind, group: object.groupVersionKind?.group, dryRun: dryRun)
        return try await request("PUT", url, body: body, idempotent: false, object: Self.describe(mapping, namespace: namespace, name: name))
    }

    /// A JSON merge patch.
    public func mergePatch(
        _ gvk: GroupVersionKind, namespace: String? = nil, name: String, patch: JSONValue, subresource: String? = nil, dryRun: Bool = false,
        fieldValidation: String? = nil
    ) async throws(KubeClientError) -> JSONValue {
        let mapping = try await mapping(for: gvk)
        let namespace = mapping.namespaced ? (namespace ?? defaultNamespace) : nil
        let url = path(mapping, namespace: namespace, name: name, subresource: subresource) + Self.query([
            ("fieldManager", options.fieldManager), ("dryRun", dryRun ? "All" : nil), ("fieldValidation", fieldValidation),
        ])
        return try await request("PATCH", url, body: patch, contentType: "application/merge-patch+json", idempotent: false, object: Self.describe(mapping, namespace: namespace, name: name))
    }

    /// How dependents of a deleted object go.
    public enum Propagation: String, Sendable {
        case background = "Background"
        case foreground = "Foreground"
        case orphan = "Orphan"
    }

    /// Deletes an object. Returns the object as the server answered (with `deletionTimestamp` when
    /// finalizers hold it). `uid`/`resourceVersion` are preconditions: a different object is not deleted.
    @discardableResult
    public func delete(
        _ gvk: GroupVersionKind, namespace: String? = nil, name: String, propagation: Propagation = .background, uid: String? = nil,
        resourceVersion: String? = nil, dryRun: Bool = false
    ) async throws(KubeClientError) -> JSONValue {
        noteWrite(of: gvk.kind, group: gvk.group, dryRun: dryRun)
        let mapping = try await mapping(for: gvk)
        let namespace = mapping.namespaced ? (namespace ?? defaultNamespace) : nil
        var options: JSONValue = ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": .string(propagation.rawValue)]
        if uid != nil || resourceVersion != nil {
            var preconditions = JSONValue.emptyObject
            if let uid { preconditions["uid"] = .string(uid) }
            if let resourceVersion { preconditions["resourceVersion"] = .string(resourceVersion) }
            options["preconditions"] = preconditions
        }
        if dryRun { options["dryRun"] = ["All"] }
        let url = path(mapping, namespace: namespace, name: name) + Self.query([("dryRun", dryRun ? "All" : nil)])
        return try await request("DELETE", url, body: options, idempotent: uid != nil, object: Self.describe(mapping, namespace: namespace, name: name))
    }

    /// The mapping, namespace and name of an object to write, with the error naming the field when one is missing.
    func locate(_ object: JSONValue) async throws(KubeClientError) -> (ResourceMapping, String?, String?) {
        guard let gvk = object.groupVersionKind else {
            throw KubeClientError(.invalid, "object \(object.name ?? "?"): apiVersion and kind must be set")
        }
        let mapping = try await mapping(for: gvk)
        let namespace = mapping.namespaced ? (object.namespace ?? defaultNamespace) : nil
        return (mapping, namespace, object.name)
    }
}

/// The result of a list: the items and the resourceVersion to watch from.
public struct ObjectList: Sendable {
    public var items: [JSONValue]
    public var resourceVersion: String
}
