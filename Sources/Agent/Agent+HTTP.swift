import Foundation
import GitSource
import Hummingbird
import KubeModel
import Ledger
import Logging

extension Agent {
    /// Serves `/healthz`, `/readyz`, `/metrics`, the push webhooks and the read and sync API.
    func serve(host: String, port: Int) async throws {
        let router = Router()
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { _, _ -> Response in
            let ready = await self.isReady()
            return Self.text(ready ? .ok : .serviceUnavailable, ready ? "ready\n" : "not ready: the first check of every application has not run yet\n")
        }
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: self.metrics.exposition())))
        }
        for forge in Webhook.allCases {
            router.post("hooks/\(forge.rawValue)") { request, _ -> Response in
                try await self.webhook(forge, request)
            }
        }
        router.get("api/v1/apps") { _, _ -> Response in
            Self.json(.ok, try await self.appsJSON())
        }
        router.get("api/v1/apps/:app/history") { _, context -> Response in
            let app = context.parameters.get("app") ?? ""
            guard await self.reconciler(named: app) != nil else { return Self.text(.notFound, "no application \(app)\n") }
            return Self.json(.ok, Attempt.historyJSON(try await self.ledger.history(app: app, limit: 100)))
        }
        router.get("api/v1/apps/:app/history/:revision") { _, context -> Response in
            let app = context.parameters.get("app") ?? ""
            let revision = context.parameters.get("revision") ?? ""
            guard await self.reconciler(named: app) != nil else { return Self.text(.notFound, "no application \(app)\n") }
            do {
                return Self.json(.ok, try await self.ledger.detail(app: app, revision: revision).json)
            } catch let error as LedgerError {
                return Self.text(.notFound, error.message + "\n")
            }
        }
        for (action, suspend) in [("suspend", true), ("resume", false)] {
            router.post("api/v1/apps/:app/\(action)") { request, context -> Response in
                if let refusal = self.refuseWithoutToken(request) { return refusal }
                let app = context.parameters.get("app") ?? ""
                guard let reconciler = await self.reconciler(named: app) else { return Self.text(.notFound, "no application \(app)\n") }
                let reason = request.uri.queryParameters.get("reason") ?? ""
                try await self.ledger.setSuspended(suspend, app: app, reason: reason)
                if !suspend { await reconciler.trigger(.poll) }
                return Self.text(.ok, "\(app) \(suspend ? "suspended" : "resumed")\n")
            }
        }
        router.post("api/v1/apps/:app/sync") { request, context -> Response in
            if let refusal = self.refuseWithoutToken(request) { return refusal }
            let app = context.parameters.get("app") ?? ""
            guard let reconciler = await self.reconciler(named: app) else { return Self.text(.notFound, "no application \(app)\n") }
            await reconciler.trigger(.manual)
            return Self.text(.accepted, "sync of \(app) requested\n")
        }

        var serverLogger = Logger(label: "sluice.agent.http")
        serverLogger.logLevel = .critical
        let ports = boundPort
        let logger = self.logger
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                ports.set(bound)
                logger.info("listening", metadata: ["address": "\(host):\(bound)"])
            },
            logger: serverLogger)
        try await app.run()
    }

    /// A push webhook: 401 on a bad signature (nothing happens), 413 on an oversized body, 202 when
    /// accepted, with the applications whose repository the push names reconciled at once.
    func webhook(_ forge: Webhook, _ request: Request) async throws -> Response {
        guard let secret = webhookSecret else { return Self.text(.forbidden, "webhooks are off: start the agent with --webhook-secret-file\n") }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Webhook.maxBodyBytes)
        } catch {
            return Self.text(.contentTooLarge, "the body is over \(Webhook.maxBodyBytes) bytes\n")
        }
        let body = Array(buffer.readableBytesView)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        guard forge.verify(body: body, headers: headers, secret: secret) else {
            logger.warning("webhook refused: bad signature", metadata: ["forge": "\(forge.rawValue)"])
            return Self.text(.unauthorized, "bad signature\n")
        }
        guard let payload = try? JSONValue.parse(body) else { return Self.text(.badRequest, "the body is not JSON\n") }
        let keys = Set(forge.repositoryURLs(in: payload).compactMap { try? RepositoryURL($0) }.map(Webhook.repositoryKey))
        var triggered: [String] = []
        for reconciler in await reconcilers where keys.contains(Webhook.repositoryKey(reconciler.application.url)) {
            await reconciler.trigger(.webhook)
            triggered.append(reconciler.application.name)
        }
        logger.info("webhook accepted", metadata: ["forge": "\(forge.rawValue)", "apps": "\(triggered.joined(separator: ","))"])
        return Self.json(.accepted, ["reconciling": .array(triggered.sorted().map(JSONValue.string))])
    }

    /// `GET /api/v1/apps`: where each application stands, in the JSON of `sluice status --output json`.
    func appsJSON() async throws -> JSONValue {
        .array(try await ledger.statusJSON(apps: await reconcilers.map(\.application.name).sorted()))
    }

    /// `nil` when the request carries the API's bearer token; otherwise the refusal to send.
    func refuseWithoutToken(_ request: Request) -> Response? {
        guard let token = apiToken else { return Self.text(.forbidden, "the API's write calls are off: start the agent with --api-token-file\n") }
        let given = request.headers[.authorization].map { Array($0.utf8) } ?? []
        guard Webhook.constantTimeEqual(given, Array("Bearer ".utf8) + token) else { return Self.text(.unauthorized, "a valid bearer token is required\n") }
        return nil
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
