import Foundation
import GitSource
import Hummingbird
import KubeModel
import Ledger
import Logging
import NIOCore

extension Agent {
    /// Serves `/healthz`, `/readyz`, `/metrics` (on a listener of its own with
    /// ``AgentHTTPOptions/metricsListen``), the push webhooks and the read and sync API, within the
    /// limits of ``AgentHTTPOptions``.
    func serve(host: String, port: Int) async throws {
        let router = Router()
        let inFlight = metrics.requestsInFlightGauge()
        let limiter = RequestLimiter(limit: http.maxRequestsInFlight) { inFlight.set(to: Double($0)) }
        let metrics = self.metrics
        router.add(middleware: InFlightLimitMiddleware(limiter: limiter, refused: { metrics.recordRefusedRequest() }))
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { _, _ -> Response in
            let ready = await self.isReady()
            return Self.text(ready ? .ok : .serviceUnavailable, ready ? "ready\n" : "not ready: the first check of every application has not run yet\n")
        }
        if http.metricsListen == nil {
            router.get("metrics") { _, _ in self.metricsResponse() }
        }
        for forge in Webhook.allCases {
            router.post("hooks/\(forge.rawValue)") { request, _ -> Response in
                try await self.webhook(forge, request)
            }
        }
        router.get("api/v1/apps") { request, _ -> Response in
            if let refusal = self.refuseRead(request) { return refusal }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: self.snapshot.body()))
        }
        router.get("api/v1/apps/:app/history") { request, context -> Response in
            if let refusal = self.refuseRead(request) { return refusal }
            let app = context.parameters.get("app") ?? ""
            guard await self.knows(app) else { return Self.text(.notFound, "no application \(app)\n") }
            do {
                return Self.json(.ok, Attempt.historyJSON(try await self.ledger.history(app: app, limit: 100)))
            } catch {
                return self.failure(error, "read the history of \(app)")
            }
        }
        router.get("api/v1/apps/:app/history/:revision") { request, context -> Response in
            if let refusal = self.refuseRead(request) { return refusal }
            let app = context.parameters.get("app") ?? ""
            let revision = context.parameters.get("revision") ?? ""
            guard await self.knows(app) else { return Self.text(.notFound, "no application \(app)\n") }
            do {
                return Self.json(.ok, try await self.ledger.detail(app: app, revision: revision).json)
            } catch {
                return self.revisionFailure(error, app: app, revision: revision)
            }
        }
        for (action, suspend) in [("suspend", true), ("resume", false)] {
            router.post("api/v1/apps/:app/\(action)") { request, context -> Response in
                if let refusal = self.refuseWithoutToken(request) { return refusal }
                let app = context.parameters.get("app") ?? ""
                guard let reconciler = await self.reconciler(named: app) else { return await self.notRunning(app) }
                let reason = request.uri.queryParameters.get("reason") ?? ""
                do {
                    try await self.ledger.setSuspended(suspend, app: app, reason: reason)
                } catch {
                    return self.failure(error, "\(action) \(app)")
                }
                await self.snapshot.refresh(app)
                if !suspend { await reconciler.trigger(.poll) }
                return Self.text(.ok, "\(app) \(suspend ? "suspended" : "resumed")\n")
            }
        }
        router.post("api/v1/apps/:app/sync") { request, context -> Response in
            if let refusal = self.refuseWithoutToken(request) { return refusal }
            let app = context.parameters.get("app") ?? ""
            guard let reconciler = await self.reconciler(named: app) else { return await self.notRunning(app) }
            await reconciler.trigger(.manual)
            return Self.text(.accepted, "sync of \(app) requested\n")
        }

        var serverLogger = Logger(label: "sluice.agent.http")
        serverLogger.logLevel = .critical
        let server = GuardedHTTP1Channel.builder(options: http) { metrics.recordReadTimeout(part: $0) }
        let ports = boundPort
        let logger = self.logger
        let main = Application(
            router: router, server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                ports.set(bound)
                logger.info("listening", metadata: ["address": "\(host):\(bound)"])
            },
            logger: serverLogger)
        guard let metricsListen = http.metricsListen else {
            try await main.run()
            return
        }
        let metricsRouter = Router()
        metricsRouter.get("metrics") { _, _ in self.metricsResponse() }
        let metricsPorts = boundMetricsPort
        let metricsServer = Application(
            router: metricsRouter, server: server,
            configuration: ApplicationConfiguration(address: .hostname(metricsListen.host, port: metricsListen.port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? metricsListen.port
                metricsPorts.set(bound)
                logger.info("serving /metrics", metadata: ["metrics": "\(metricsListen.host):\(bound)"])
            },
            logger: serverLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await main.run() }
            group.addTask { try await metricsServer.run() }
            try await group.next()
            group.cancelAll()
        }
    }

    /// `/metrics`, in Prometheus' text format.
    func metricsResponse() -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition())))
    }

    /// A push webhook: 401 on a bad signature (nothing happens), 413 on an oversized body (and the
    /// connection closed), 200 for a delivery already accepted within the hour (nothing happens),
    /// 202 when accepted, with the applications whose repository the push names reconciled at once.
    func webhook(_ forge: Webhook, _ request: Request) async throws -> Response {
        guard let secret = webhookSecret else { return Self.text(.forbidden, "webhooks are off: start the agent with --webhook-secret-file\n") }
        let tooLarge = Response(
            status: .contentTooLarge, headers: [.contentType: "text/plain; charset=utf-8", .connection: "close"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: "the body is over \(Webhook.maxBodyBytes) bytes\n")))
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > Webhook.maxBodyBytes {
            metrics.recordDelivery(forge: forge.rawValue, result: "too_large")
            return tooLarge
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Webhook.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            metrics.recordDelivery(forge: forge.rawValue, result: "too_large")
            return tooLarge
        } catch {
            // The connection failed or was closed (a body slower than --http-body-timeout).
            metrics.recordDelivery(forge: forge.rawValue, result: "invalid")
            return Self.text(.badRequest, "the body could not be read\n")
        }
        let body = Array(buffer.readableBytesView)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        guard forge.verify(body: body, headers: headers, secret: secret) else {
            metrics.recordDelivery(forge: forge.rawValue, result: "unauthorized")
            logger.warning("webhook refused: bad signature", metadata: ["forge": "\(forge.rawValue)"])
            return Self.text(.unauthorized, "bad signature\n")
        }
        guard let payload = try? JSONValue.parse(body) else {
            metrics.recordDelivery(forge: forge.rawValue, result: "invalid")
            return Self.text(.badRequest, "the body is not JSON\n")
        }
        // The id counts only now that the signature is verified: an unsigned request cannot use
        // up an id, nor learn whether one was seen.
        let delivery = forge.deliveryID(headers: headers)
        if let delivery, !deliveries.accept("\(forge.rawValue):\(delivery)") {
            metrics.recordDelivery(forge: forge.rawValue, result: "duplicate")
            logger.info("webhook ignored: this delivery was already accepted", metadata: ["forge": "\(forge.rawValue)", "delivery": "\(delivery)"])
            return Self.json(.ok, ["duplicate": true, "delivery": .string(delivery), "reconciling": []])
        }
        let keys = Set(forge.repositoryURLs(in: payload).compactMap { try? RepositoryURL($0) }.map(Webhook.repositoryKey))
        var triggered: [String] = []
        for reconciler in await reconcilers where keys.contains(Webhook.repositoryKey(reconciler.application.url)) {
            await reconciler.trigger(.webhook)
            triggered.append(reconciler.application.name)
        }
        metrics.recordDelivery(forge: forge.rawValue, result: "accepted")
        var accepted: Logger.Metadata = ["forge": "\(forge.rawValue)", "apps": "\(triggered.joined(separator: ","))"]
        if let delivery { accepted["delivery"] = "\(delivery)" }
        logger.info("webhook accepted", metadata: accepted)
        return Self.json(.accepted, ["reconciling": .array(triggered.sorted().map(JSONValue.string))])
    }

    /// `nil` when the read API is open (or the request carries the token it wants with
    /// ``AgentHTTPOptions/readAuth``); otherwise the refusal to send.
    func refuseRead(_ request: Request) -> Response? {
        guard http.readAuth else { return nil }
        guard apiToken != nil else { return Self.text(.forbidden, "the read API is off: --api-read-auth needs --api-token-file\n") }
        return refuseWithoutToken(request)
    }

    /// The answer to an error met while reading one attempt: what is useful to the caller (no
    /// such attempt, an ambiguous or malformed revision), never the ledger's own message, which
    /// names its file; anything else is logged and answered 500.
    func revisionFailure(_ error: any Error, app: String, revision: String) -> Response {
        if let error = error as? LedgerError {
            switch error.code {
            case .notFound:
                return Self.text(.notFound, "no attempt of revision \(revision) of \(app)\n")
            case .ambiguous:
                return Self.text(.conflict, "revision \(revision) of \(app) is ambiguous: it abbreviates several revisions; give more digits\n")
            case .invalidArgument:
                return Self.text(.badRequest, "not a revision: give the commit id or at least its first 4 hex digits\n")
            default:
                break
            }
        }
        return failure(error, "read revision \(revision) of \(app)")
    }

    /// A 500 for an error of the ledger (or anything else) while serving `what`: the answer says
    /// what could not be done; the detail, which may name files, goes to the log only.
    func failure(_ error: any Error, _ what: String) -> Response {
        logger.error("the API could not \(what)", metadata: ["error": "\(error)"])
        return Self.text(.internalServerError, "could not \(what): the agent's ledger failed (the agent's log says why)\n")
    }

    /// `nil` when the request carries the API's bearer token; otherwise the refusal to send.
    func refuseWithoutToken(_ request: Request) -> Response? {
        guard let token = apiToken else { return Self.text(.forbidden, "the API's write calls are off: start the agent with --api-token-file\n") }
        let given = request.headers[.authorization].map { Array($0.utf8) } ?? []
        guard Webhook.constantTimeEqual(given, Array("Bearer ".utf8) + token) else { return Self.text(.unauthorized, "a valid bearer token is required\n") }
        return nil
    }

    /// Whether `app` is one of this agent's applications: running here, or configured (a replica
    /// that does not lead runs none, and serves their reads from the shared ledger).
    func knows(_ app: String) async -> Bool {
        if await reconciler(named: app) != nil { return true }
        return initialApplications.contains { $0.name == app }
    }

    /// The answer to a write call for an application whose reconciler does not run here: 503 on a
    /// replica that waits to lead (the Service routes to the leader), else 404.
    func notRunning(_ app: String) async -> Response {
        if election != nil, await knows(app) {
            return Response(
                status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8", .retryAfter: "5"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "this replica does not lead; ask the leader (the chart's Service routes to it)\n")))
        }
        return Self.text(.notFound, "no application \(app)\n")
    }

    func reconciler(named name: String) async -> Reconciler? {
        await reconcilers.first { $0.application.name == name }
    }

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: value.serialized(pretty: true) + "\n")))
    }
}
