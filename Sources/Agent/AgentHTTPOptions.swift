/// How the agent's HTTP server guards itself: who may read the API, where `/metrics` is served,
/// and the limits on connections and requests (Docs/agent.md, "Limits").
public struct AgentHTTPOptions: Sendable {
    /// Where `/metrics` is served, on a listener of its own (and then not on the main one); `nil`
    /// serves it on the main listener.
    public var metricsListen: (host: String, port: Int)?
    /// The read API (`GET /api/v1/apps...`) wants the write calls' bearer token too.
    public var readAuth = false
    /// Requests handled at once; more get 503 with `Retry-After` (`/healthz` and `/readyz` are not counted).
    public var maxRequestsInFlight = 64
    /// How long a connection may stay open with no request under way before it is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// How long a request's head may take, from the connection's opening or the request's first
    /// byte to its last header; the connection is closed after it.
    public var headerTimeout: Duration = .seconds(10)
    /// How long a request's body may take, from its head to its last byte; the connection is
    /// closed after it.
    public var bodyTimeout: Duration = .seconds(30)

    /// The defaults: `/metrics` on the main listener, an open read API, 64 requests at once,
    /// 60 s idle, 10 s for a head, 30 s for a body.
    public init() {}
}
