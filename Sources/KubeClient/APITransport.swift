import Curl
import Foundation
import KubeModel
import Logging
import Synchronization

/// How to reach the API server: TLS trust and client identity, proxy. Built from a ``ClusterConnection``.
typealias TransportSettings = CurlSettings
/// One HTTP request to the API server (its URL relative to the server until sent).
typealias HTTPRequest = CurlRequest
/// A buffered response, or a stream's status and headers.
typealias HTTPResponse = CurlResponse

/// Sends requests to one API server: authentication, the client-side rate limit, retries with
/// back-off, cancellation. Above it, ``KubeClient`` speaks Kubernetes; below it, the Curl module's
/// shared multi loop.
final class APITransport: Sendable {
    let server: String
    let settings: TransportSettings
    let limiter: RateLimiter
    let inFlight: InFlightLimit
    let authenticate: @Sendable () async throws -> ClusterConnection.RequestAuthentication
    let rejected: @Sendable (ClusterConnection.RequestAuthentication) -> Bool
    let userAgent: String
    let maximumAttempts: Int
    private let multiplexed = Atomic<Bool>(false)

    /// Whether the server has answered over HTTP/2 (or 3): concurrent requests then share one
    /// connection as streams; over HTTP/1.1 each request in flight needs a connection of its own.
    var multiplexes: Bool { multiplexed.load(ordering: .relaxed) }

    init(
        server: String, settings: TransportSettings, limiter: RateLimiter, inFlight: InFlightLimit = InFlightLimit(64), userAgent: String,
        maximumAttempts: Int = 5,
        authenticate: @escaping @Sendable () async throws -> ClusterConnection.RequestAuthentication,
        rejected: @escaping @Sendable (ClusterConnection.RequestAuthentication) -> Bool = { _ in false }
    ) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.settings = settings
        self.limiter = limiter
        self.inFlight = inFlight
        self.userAgent = userAgent
        self.maximumAttempts = maximumAttempts
        self.authenticate = authenticate
        self.rejected = rejected
    }

    /// The request as sent: full URL, user agent, credentials; and the TLS settings with the
    /// client certificate of the moment.
    private func prepare(_ request: HTTPRequest) async throws(KubeClientError) -> (HTTPRequest, TransportSettings, ClusterConnection.RequestAuthentication) {
        var request = request
        request.url = server + request.url
        request.headers.append(("User-Agent", userAgent))
        let authentication: ClusterConnection.RequestAuthentication
        do {
            authentication = try await authenticate()
        } catch {
            throw KubeClientError(.configuration, "cannot obtain credentials for \(server): \(error)")
        }
        if let value = authentication.authorization { request.headers.append(("Authorization", value)) }
        var settings = settings
        if let certificate = authentication.clientCertificatePEM, let key = authentication.clientKeyPEM {
            settings.clientCertificatePEM = certificate
            settings.clientKeyPEM = key
        }
        return (request, settings, authentication)
    }

    /// Sends a request and reads the whole response. 429 and 503 are retried for every request
    /// (the server did not act on it; after the server's Retry-After, up to
    /// ``maximumOverloadedAttempts`` times), connection failures only when `idempotent`.
    func send(_ request: HTTPRequest, idempotent: Bool, object: String) async throws(KubeClientError) -> HTTPResponse {
        var (prepared, settings, authentication) = try await prepare(request)
        var reauthenticated = false
        var attempt = 0
        var overloaded = 0
        var delay = Duration.milliseconds(200)
        while true {
            attempt += 1
            do {
                try await limiter.acquire()
                try await inFlight.acquire()
            } catch {
                throw KubeClientError(.cancelled, "\(object): cancelled")
            }
            let outcome: Result<HTTPResponse, CurlError>
            do {
                outcome = .success(try await CurlTransfer.send(prepared, settings: settings))
            } catch {
                outcome = .failure(error)
            }
            // 429 and 503: the server refused the request as overloaded (it did not act on it).
            let refused = (try? outcome.get()).map { $0.status == 429 || $0.status == 503 } ?? false
            inFlight.release(overloaded: refused)
            switch outcome {
            case .success(let response):
                if let version = response.headers[":http-version"], version != "1.1", !multiplexed.load(ordering: .relaxed) {
                    multiplexed.store(true, ordering: .relaxed)
                }
                if response.headers[Self.flowSchemaHeader] != nil || response.headers[Self.priorityLevelHeader] != nil {
                    limiter.serverAnnouncedFlowControl()
                }
                if response.status == 401 && !reauthenticated && rejected(authentication) {
                    // A rotated token or an expired exec credential: fetch it again, once.
                    reauthenticated = true
                    (prepared, settings, authentication) = try await prepare(request)
                    continue
                }
                if refused {
                    let retryAfter = response.headers["retry-after"].flatMap(Int.init).map { Duration.seconds(min($0, 30)) }
                    // A server that says when to come back (API Priority and Fairness does) is tried
                    // as often as client-go tries it; one that does not, as often as a lost connection.
                    if overloaded + 1 < (retryAfter == nil ? maximumAttempts : Self.maximumOverloadedAttempts) {
                        overloaded += 1
                        attempt -= 1
                        try await pause(retryAfter ?? delay, object: object)
                        delay = min(delay * 2, .seconds(5))
                        continue
                    }
                }
                return response
            case .failure(let failure):
                if failure.kind == .cancelled { throw KubeClientError(.cancelled, "\(object): cancelled") }
                if idempotent && failure.kind == .connect && attempt < maximumAttempts {
                    try await pause(delay, object: object)
                    delay = min(delay * 2, .seconds(5))
                    continue
                }
                if failure.kind == .tls {
                    throw translate(failure, object: object, certificate: await presentedCertificate(settings: settings))
                }
                throw translate(failure, object: object)
            }
        }
    }

    /// The headers an API server with API Priority and Fairness sends with every answer (how
    /// client-go, cert-manager and controller-runtime tell that the server throttles itself).
    static let flowSchemaHeader = "x-kubernetes-pf-flowschema-uid"
    static let priorityLevelHeader = "x-kubernetes-pf-prioritylevel-uid"
    /// How often a request the server refused as overloaded (429, 503) is sent, at most: client-go's 10.
    static let maximumOverloadedAttempts = 10

    /// The subject and issuer of the certificate the server presents, read over a connection
    /// that does not verify it: what to name when the verified one failed.
    private func presentedCertificate(settings: TransportSettings) async -> String? {
        var insecure = settings
        insecure.insecureSkipVerify = true
        insecure.caPEM = nil
        // As long as the request it explains may take: a busy machine slows both alike.
        let request = HTTPRequest(method: "GET", url: server + "/version", headers: [("User-Agent", userAgent)], timeout: .seconds(30), captureCertificate: true)
        guard let response = try? await CurlTransfer.send(request, settings: insecure), let subject = response.headers[":certificate-subject"] else { return nil }
        let issuer = response.headers[":certificate-issuer"] ?? "?"
        return "subject \(subject), issued by \(issuer)"
    }

    /// Opens a streaming request (watch, followed logs): the status response, then the body's chunks.
    func stream(_ request: HTTPRequest, object: String) async throws(KubeClientError) -> (HTTPResponse, AsyncThrowingStream<[UInt8], any Error>) {
        let (prepared, settings, _) = try await prepare(request)
        do {
            try await limiter.acquire()
        } catch {
            throw KubeClientError(.cancelled, "\(object): cancelled")
        }
        do {
            return try await CurlTransfer.stream(prepared, settings: settings)
        } catch {
            throw translate(error, object: object)
        }
    }

    private func pause(_ duration: Duration, object: String) async throws(KubeClientError) {
        do {
            try await Task.sleep(for: duration)
        } catch {
            throw KubeClientError(.cancelled, "\(object): cancelled")
        }
    }

    private func translate(_ failure: CurlError, object: String, certificate: String? = nil) -> KubeClientError {
        switch failure.kind {
        case .tls:
            let presented = certificate.map { "the server's certificate (\($0)) is not trusted by the configured certificate authority" }
                ?? "the server's certificate is not trusted by the configured certificate authority, or the client certificate was refused"
            return KubeClientError(.tls, "\(object): TLS with \(server) failed: \(failure.message) (\(presented))")
        case .connect: return KubeClientError(.unreachable, "\(object): cannot reach \(server): \(failure.message)")
        case .timeout: return KubeClientError(.timeout, "\(object): \(server) did not answer in time: \(failure.message)")
        case .cancelled: return KubeClientError(.cancelled, "\(object): cancelled")
        case .other: return KubeClientError(.other, "\(object): \(failure.message)")
        }
    }
}
