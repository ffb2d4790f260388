import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 channel with deadlines on reading each request, and responses marked
/// `Connection: close` closing the connection.
///
/// Hummingbird's own idle timeout closes a connection on which nothing happens for a while, but
/// it counts every body part as activity and cannot see header bytes, so a client that trickles a
/// body one byte at a time keeps its connection (and its request slot) for ever. Neither
/// Hummingbird nor NIO has a deadline on a whole head or body, so two small handlers keep one
/// (``ConnectionDeadlines``): one before the HTTP decoder sees the bytes arrive, one after it sees
/// where each request's head and body end.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let inner: HTTP1Channel
    let options: AgentHTTPOptions
    /// Told `header` or `body` when a connection is closed for a read that took too long.
    let timedOut: @Sendable (String) -> Void

    /// A server of such channels, answering with `responder`.
    static func builder(options: AgentHTTPOptions, timedOut: @escaping @Sendable (String) -> Void) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            GuardedHTTP1Channel(
                inner: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: TimeAmount(options.idleTimeout))),
                options: options, timedOut: timedOut)
        }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let options = options
        let timedOut = timedOut
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let deadlines = ConnectionDeadlines(header: TimeAmount(options.headerTimeout), body: TimeAmount(options.bodyTimeout), timedOut: timedOut)
            let operations = channel.pipeline.syncOperations
            try operations.addHandler(RequestBytesHandler(deadlines), position: .first)
            let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try operations.addHandler(RequestPartsHandler(deadlines), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// One connection's deadline for the request it is reading: its head must arrive within the
/// header timeout of the connection's opening (or of the first byte of a later request on it),
/// and its body within the body timeout of the head. Past it the connection is closed. While a
/// response is being made, and while a kept-alive connection waits for its next request, no
/// deadline runs here (Hummingbird's idle timeout covers the wait). Used on the channel's event
/// loop only.
final class ConnectionDeadlines {
    enum Phase {
        /// Waiting for a request's head; `clockRunning` once its deadline is set.
        case awaitingHead(clockRunning: Bool)
        case readingBody
        case responding
    }

    var phase = Phase.awaitingHead(clockRunning: false)
    private var timer: Scheduled<Void>?
    let header: TimeAmount
    let body: TimeAmount
    let timedOut: @Sendable (String) -> Void
    /// The response being written says `Connection: close`.
    var closeAfterResponse = false

    init(header: TimeAmount, body: TimeAmount, timedOut: @escaping @Sendable (String) -> Void) {
        self.header = header
        self.body = body
        self.timedOut = timedOut
    }

    /// Starts the head's deadline, unless it runs already or a request is under way.
    func requestBegins(_ context: ChannelHandlerContext) {
        guard case .awaitingHead(clockRunning: false) = phase else { return }
        phase = .awaitingHead(clockRunning: true)
        schedule(context, in: header, kind: "header")
    }

    /// The head arrived: the body's deadline starts.
    func headArrived(_ context: ChannelHandlerContext) {
        phase = .readingBody
        schedule(context, in: body, kind: "body")
    }

    /// The request is read in full: no deadline while the response is made.
    func requestRead() {
        phase = .responding
        cancel()
    }

    /// A response ended: the connection waits for its next request.
    func responseEnded() {
        guard case .responding = phase else { return }  // a pipelined request is already being read
        phase = .awaitingHead(clockRunning: false)
    }

    func cancel() {
        timer?.cancel()
        timer = nil
    }

    private func schedule(_ context: ChannelHandlerContext, in amount: TimeAmount, kind: String) {
        cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: amount) { [weak self] in
            guard let self else { return }
            self.timer = nil
            self.timedOut(kind)
            context.close(promise: nil)
        }
    }
}

/// Before the HTTP decoder: the first byte of a request (or the connection's opening) starts the
/// head's deadline.
final class RequestBytesHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let deadlines: ConnectionDeadlines

    init(_ deadlines: ConnectionDeadlines) { self.deadlines = deadlines }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { deadlines.requestBegins(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadlines.cancel()
    }

    func channelActive(context: ChannelHandlerContext) {
        deadlines.requestBegins(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadlines.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadlines.requestBegins(context)
        context.fireChannelRead(data)
    }
}

/// After the HTTP decoder: a request's head and end move its deadline on; a response whose head
/// says `Connection: close` ends with the connection's output shut (the client reads the whole
/// response, then end of file), and the connection closed a moment later, so a client still
/// sending a body it was refused gets the response instead of a reset.
final class RequestPartsHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// How long a connection closing after its response still takes (and drops) what the client sends.
    static let linger = TimeAmount.seconds(2)

    let deadlines: ConnectionDeadlines

    init(_ deadlines: ConnectionDeadlines) { self.deadlines = deadlines }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: deadlines.headArrived(context)
        case .body: break
        case .end: deadlines.requestRead()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "close" }) {
                deadlines.closeAfterResponse = true
            }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            deadlines.responseEnded()
            guard deadlines.closeAfterResponse else {
                context.write(data, promise: promise)
                return
            }
            context.writeAndFlush(data, promise: promise)
            let shut = context.eventLoop.makePromise(of: Void.self)
            shut.futureResult.assumeIsolated().whenFailure { _ in context.close(promise: nil) }
            context.close(mode: .output, promise: shut)
            context.eventLoop.assumeIsolated().scheduleTask(in: Self.linger) { context.close(promise: nil) }
        }
    }
}

/// Counts the requests being handled, up to a limit.
final class RequestLimiter: Sendable {
    let limit: Int
    private let count = NIOLockedValueBox(0)
    /// Told the number in flight each time it changes.
    let report: @Sendable (Int) -> Void

    init(limit: Int, report: @escaping @Sendable (Int) -> Void) {
        self.limit = max(1, limit)
        self.report = report
    }

    /// Takes a place; false when all are taken.
    func enter() -> Bool {
        count.withLockedValue { count in
            guard count < limit else { return false }
            count += 1
            report(count)
            return true
        }
    }

    /// Gives a place back.
    func leave() {
        count.withLockedValue { count in
            count -= 1
            report(count)
        }
    }
}

/// Answers 503 with `Retry-After` when `--max-requests-in-flight` requests are already being
/// handled; `/healthz` and `/readyz` always pass, so probes see an agent that is busy, not dead.
struct InFlightLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limiter: RequestLimiter
    /// Told of each request refused.
    let refused: @Sendable () -> Void

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == "/healthz" || path == "/readyz" { return try await next(request, context) }
        guard limiter.enter() else {
            refused()
            // Closed after the answer, so a refused request's body is not read.
            return Response(
                status: .serviceUnavailable,
                headers: [.contentType: "text/plain; charset=utf-8", .retryAfter: "1", .connection: "close"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "busy: \(limiter.limit) requests are being handled; retry shortly\n")))
        }
        defer { limiter.leave() }
        return try await next(request, context)
    }
}
