import Foundation
import Hummingbird
import HummingbirdTLS
import KubeModel
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// How a ``LocalCluster`` runs.
public struct LocalClusterOptions: Sendable {
    /// The address to listen on.
    public var host: String
    /// The port; 0 picks a free one.
    public var port: Int
    /// Where state, credentials and the kubeconfig live. With none, state is kept in memory and the
    /// credentials in a temporary directory removed on ``LocalCluster/stop()``.
    public var dataDirectory: URL?
    /// Run pods' container commands as local processes (`--run-pods`); otherwise pods succeed at once.
    public var runPods: Bool
    /// Requests served at once (watches, followed logs and health checks aside); one more is
    /// refused with 429 and `Retry-After: 1`, as kube-apiserver's API Priority and Fairness refuses
    /// it. kube-apiserver's default: 600 (`--max-requests-inflight` 400 plus
    /// `--max-mutating-requests-inflight` 200). 0: no limit.
    public var maxRequestsInFlight: Int

    public init(host: String = "127.0.0.1", port: Int = 6443, dataDirectory: URL? = nil, runPods: Bool = false, maxRequestsInFlight: Int = 600) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.runPods = runPods
        self.maxRequestsInFlight = maxRequestsInFlight
    }
}

/// An error starting or running the local cluster.
public struct LocalClusterError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// An embedded Kubernetes-compatible API server: HTTPS with its own CA, bearer-token
/// authentication, discovery, CRUD with Kubernetes' semantics, watches, patches, server-side apply,
/// and simulated controllers that give workloads realistic status. `kubectl` works against it
/// unchanged with the kubeconfig it writes.
public final class LocalCluster: Sendable {
    /// The options it was started with.
    public let options: LocalClusterOptions
    /// The TLS certificate of the cluster's CA (PEM), which clients must trust.
    public let caCertificatePEM: String
    /// The bearer token clients authenticate with.
    public let token: String
    /// The directory holding the kubeconfig and credentials.
    public let directory: URL

    let store: ObjectStore
    let api: ClusterAPI
    let requestsInFlight = InFlightCount()

    /// How many requests were refused with 429 because ``LocalClusterOptions/maxRequestsInFlight`` were in flight.
    public var requestsRefusedAsOverloaded: Int { requestsInFlight.refused }
    /// The requests being served now, as the in-flight limit counts them.
    public var requestsInFlightNow: Int { requestsInFlight.current }
    private let credentials: ClusterCredentials
    private let ownsDirectory: Bool
    private let state = Mutex<(task: Task<Void, any Error>?, controllers: ControllerManager?, port: Int)>((nil, nil, 0))

    /// Opens the cluster's state (replaying it from the data directory) and its credentials.
    public init(options: LocalClusterOptions) throws {
        self.options = options
        if let dataDirectory = options.dataDirectory {
            directory = dataDirectory
            ownsDirectory = false
        } else {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-local-cluster-\(UUID().uuidString)")
            ownsDirectory = true
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            credentials = try ClusterCredentials.loadOrCreate(in: directory, hosts: [options.host])
            store = try ObjectStore(log: options.dataDirectory.map { StoreLog(directory: $0) })
        } catch {
            throw LocalClusterError(message: "cannot open the local cluster's data in \(directory.path): \(error)")
        }
        caCertificatePEM = credentials.caCertificatePEM
        token = credentials.token
        let registry = ResourceRegistry()
        api = ClusterAPI(store: store, registry: registry, podLogs: PodLogStore())
    }

    /// The port it listens on, once started.
    public var port: Int { state.withLock { $0.port } }

    /// The server's URL, once started.
    public var url: String {
        let host = options.host.contains(":") ? "[\(options.host)]" : options.host
        return "https://\(host):\(port)"
    }

    /// The kubeconfig file `kubectl` can use as it is.
    public var kubeconfigURL: URL { directory.appendingPathComponent("kubeconfig") }

    /// Starts serving; returns once the server accepts connections.
    public func start() async throws {
        let tls = try credentials.serverTLSConfiguration()
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "sluice.local-cluster")
        // Hummingbird reports a cancelled connection on every shutdown as an error; real failures
        // surface as thrown errors.
        logger.logLevel = .critical
        let responder = ClusterResponder(api: api, token: token, maxInFlight: options.maxRequestsInFlight, inFlight: requestsInFlight)
        let app = Application(
            responder: responder,
            server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: ApplicationConfiguration(address: .hostname(options.host, port: options.port), serverName: nil, backlog: 1024),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger)
        try api.bootstrap()
        let task = Task {
            defer { portContinuation.finish() }
            try await app.run()
        }
        var boundPort = 0
        for await port in portStream { boundPort = port }
        guard boundPort > 0 else {
            task.cancel()
            let failure: String
            switch await task.result {
            case .failure(let error): failure = "\(error)"
            case .success: failure = "the server stopped"
            }
            throw LocalClusterError(message: "cannot listen on \(options.host):\(options.port): \(failure)")
        }
        let controllers = ControllerManager(api: api, runPods: options.runPods, workDirectory: directory.appendingPathComponent("pods"))
        state.withLock {
            $0.task = task
            $0.port = boundPort
            $0.controllers = controllers
        }
        controllers.start()
        try Data(credentials.kubeconfig(server: url).utf8).write(to: kubeconfigURL, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: kubeconfigURL.path)
    }

    /// Serves until the task is cancelled, then stops.
    public func run() async throws {
        if port == 0 { try await start() }
        let task = state.withLock { $0.task }
        do {
            try await cancelWhenGracefulShutdown {
                try await withTaskCancellationHandler {
                    _ = try await task?.value
                } onCancel: {
                    task?.cancel()
                }
            }
        } catch is CancellationError {
            // Stopped by a signal or by the caller.
        }
        await stop()
    }

    /// Stops serving, ends watches, stops controllers and pods, and flushes state.
    public func stop() async {
        let (task, controllers) = state.withLock { state in
            defer {
                state.task = nil
                state.controllers = nil
            }
            return (state.task, state.controllers)
        }
        await controllers?.stop()
        store.finishWatches()
        task?.cancel()
        _ = await task?.result
        store.close()
        if ownsDirectory { try? FileManager.default.removeItem(at: directory) }
    }
}

/// Puts ``ClusterAPI`` behind Hummingbird: authentication, body limits, streaming.
struct ClusterResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let api: ClusterAPI
    let token: String
    let maxInFlight: Int
    let inFlight: InFlightCount

    /// The largest request body: kube-apiserver's `MaxRequestBodyBytes`, 3 MiB, answered as it
    /// answers (413, `Request entity too large: limit is 3145728`).
    static let maximumBody = 3 << 20
    static let publicPaths: Set<String> = ["/healthz", "/readyz", "/livez", "/version"]

    func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.uri.path
        if !Self.publicPaths.contains(path) && !authorized(request.headers[.authorization]) {
            return Self.response(.error(.unauthorized))
        }
        let query = Self.parseQuery(request.uri.query)
        let longRunning = Self.publicPaths.contains(path) || query["watch"] == "true" || query["watch"] == "1" || query["follow"] == "true"
            || path.contains("/watch/")
        if !longRunning && maxInFlight > 0 {
            guard inFlight.enter(limit: maxInFlight) else {
                var response = Self.response(.error(APIStatus(
                    reason: "TooManyRequests", code: 429, message: "Too many requests, please try again later.",
                    details: .init(retryAfterSeconds: 1))))
                response.headers[.retryAfter] = "1"
                return response
            }
        }
        defer { if !longRunning && maxInFlight > 0 { inFlight.leave() } }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maximumBody)
        } catch {
            return Self.response(.error(APIStatus(reason: "RequestEntityTooLarge", code: 413, message: "Request entity too large: limit is \(Self.maximumBody)")))
        }
        let apiRequest = APIRequest(
            method: request.method.rawValue, path: path, query: query,
            contentType: request.headers[.contentType] ?? "application/json", accept: request.headers[.accept] ?? "",
            userAgent: request.headers[.userAgent] ?? "", body: Array(buffer: body))
        return Self.response(await api.handle(apiRequest))
    }

    private func authorized(_ header: String?) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        let presented = Array(header.dropFirst(7).utf8)
        let expected = Array(token.utf8)
        guard presented.count == expected.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(presented, expected) { difference |= left ^ right }
        return difference == 0
    }

    static func parseQuery(_ query: String?) -> [String: String] {
        var result: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            guard let key = parts.first else { continue }
            result[decode(key)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return result
    }

    static let warningHeader = HTTPFields.Element.Name("Warning") ?? .cacheControl
    static let flowSchemaHeader = HTTPFields.Element.Name("X-Kubernetes-PF-FlowSchema-UID") ?? .cacheControl
    static let priorityLevelHeader = HTTPFields.Element.Name("X-Kubernetes-PF-PriorityLevel-UID") ?? .cacheControl
    /// The uids of the `global-default` FlowSchema and PriorityLevelConfiguration every request falls into.
    static let flowSchemaUID = "3c5c2a4e-6a0b-4a4f-9c1e-5b0f6f1b2a01"
    static let priorityLevelUID = "8d7e1f0a-2b3c-4d5e-8f9a-0b1c2d3e4f02"

    static func response(_ response: APIResponse) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = response.contentType
        headers[.cacheControl] = "no-cache, private"
        // API Priority and Fairness: the server throttles fairly itself, so clients need not.
        headers[Self.flowSchemaHeader] = Self.flowSchemaUID
        headers[Self.priorityLevelHeader] = Self.priorityLevelUID
        for warning in response.warnings {
            headers.append(HTTPFields.Element(name: Self.warningHeader, value: "299 - " + JSONValue.string(warning).serialized()))
        }
        let status = HTTPResponse.Status(code: response.status)
        switch response.body {
        case .bytes(let bytes):
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        case .stream(let stream):
            headers[.transferEncoding] = "chunked"
            return Response(
                status: status, headers: headers,
                body: ResponseBody { writer in
                    for await chunk in stream {
                        try await writer.write(ByteBuffer(bytes: chunk))
                    }
                    try await writer.finish(nil)
                })
        }
    }
}

extension LocalCluster: Service {}

/// The requests a ``ClusterResponder`` is serving.
final class InFlightCount: Sendable {
    private let count = Atomic<Int>(0)
    private let refusedCount = Atomic<Int>(0)

    /// How many requests were refused with 429 so far.
    var refused: Int { refusedCount.load(ordering: .relaxed) }
    var current: Int { count.load(ordering: .relaxed) }

    /// Counts one more request unless `limit` are already in flight.
    func enter(limit: Int) -> Bool {
        while true {
            let current = count.load(ordering: .relaxed)
            guard current < limit else {
                refusedCount.add(1, ordering: .relaxed)
                return false
            }
            if count.compareExchange(expected: current, desired: current + 1, ordering: .relaxed).exchanged { return true }
        }
    }

    func leave() {
        count.subtract(1, ordering: .relaxed)
    }
}
