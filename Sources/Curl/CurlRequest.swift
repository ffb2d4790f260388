/// One HTTP request: what to send, and how long it may take.
public struct CurlRequest: Sendable {
    public var method: String
    /// The full URL. User information in it is used by libcurl but never appears in an error.
    public var url: String
    /// Extra header lines, sent as given (an empty value removes a header libcurl would add).
    public var headers: [(String, String)]
    public var body: [UInt8]?
    /// The whole transfer's limit; nil for none (streams: watches, followed logs).
    public var timeout: Duration?
    /// An instant the transfer ends by, whatever `timeout` says; connecting must finish by it too.
    public var deadline: ContinuousClock.Instant?
    /// Asked from libcurl's progress callback and while a blocking call waits: true stops the
    /// transfer, which then fails with ``CurlError/Kind/cancelled``.
    public var shouldStop: (@Sendable () -> Bool)?
    /// A buffered body longer than this fails the transfer instead of growing without bound.
    public var maximumBodySize: Int?
    /// Record the server certificate's subject and issuer (`:certificate-subject`,
    /// `:certificate-issuer` in the response headers), to explain a TLS failure. Sends no body.
    public var captureCertificate: Bool

    public init(
        method: String = "GET", url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeout: Duration? = nil, deadline: ContinuousClock.Instant? = nil, shouldStop: (@Sendable () -> Bool)? = nil,
        maximumBodySize: Int? = nil, captureCertificate: Bool = false
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.deadline = deadline
        self.shouldStop = shouldStop
        self.maximumBodySize = maximumBodySize
        self.captureCertificate = captureCertificate
    }
}

/// How to reach a server: TLS trust and client identity, authentication, proxy, protocol
/// version, connection limits, redirects.
public struct CurlSettings: Sendable {
    /// Which HTTP version to ask for.
    public enum HTTPVersion: Sendable {
        /// HTTP/1.1 only.
        case http1_1
        /// HTTP/2 when TLS negotiates it (ALPN), HTTP/1.1 otherwise.
        case http2OverTLS
    }

    /// Whether and how redirects are followed.
    public enum Redirects: Sendable {
        /// A redirect is the response.
        case refuse
        /// Followed up to `maximum` times, only to http(s), never from https down to http; a
        /// POST stays a POST, and credentials are never sent to another host.
        case follow(maximum: Int)
    }

    /// Credentials libcurl sends itself (and never to a host a redirect leads to).
    public enum Authentication: Sendable {
        case basic(username: String, password: String)
        case bearer(token: String)
    }

    /// A PEM bundle of trusted certificate authorities, in memory: the only ones trusted (the
    /// system's are not).
    public var caPEM: String?
    /// A file of trusted certificate authorities.
    public var caFile: String?
    /// Skips verifying the server's certificate and name.
    public var insecureSkipVerify: Bool
    /// A client certificate and key in PEM (both or neither).
    public var clientCertificatePEM: String?
    public var clientKeyPEM: String?
    /// The proxy to use; nil leaves libcurl to honour HTTPS_PROXY, HTTP_PROXY and NO_PROXY.
    public var proxyURL: String?
    public var authentication: Authentication?
    public var httpVersion: HTTPVersion
    public var redirects: Redirects
    /// The limit for setting up a connection (also bounded by a request's deadline).
    public var connectTimeout: Duration
    /// A transfer that receives nothing for this long is given up, even inside its time limit.
    public var stallTimeout: Duration?
    /// Ask for compressed responses and decompress them.
    public var acceptCompression: Bool
    /// The `User-Agent` of every request, proxies' included.
    public var userAgent: String?

    public init(
        caPEM: String? = nil, caFile: String? = nil, insecureSkipVerify: Bool = false,
        clientCertificatePEM: String? = nil, clientKeyPEM: String? = nil, proxyURL: String? = nil,
        authentication: Authentication? = nil, httpVersion: HTTPVersion = .http2OverTLS, redirects: Redirects = .refuse,
        connectTimeout: Duration = .seconds(10), stallTimeout: Duration? = nil, acceptCompression: Bool = true,
        userAgent: String? = nil
    ) {
        self.caPEM = caPEM
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.proxyURL = proxyURL
        self.authentication = authentication
        self.httpVersion = httpVersion
        self.redirects = redirects
        self.connectTimeout = connectTimeout
        self.stallTimeout = stallTimeout
        self.acceptCompression = acceptCompression
        self.userAgent = userAgent
    }
}

/// A response: the whole of it, or a stream's status and headers.
public struct CurlResponse: Sendable {
    public var status: Int
    /// Header names lower-cased; `:http-version` is the protocol the answer came over ("1.1", "2").
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The `Content-Type` of the final response.
    public var contentType: String? { headers["content-type"] }
}

// Requests and settings carry credentials (Authorization headers, passwords, tokens, keys):
// printed or reflected, they show only what is safe.

extension CurlRequest: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "\(method) \(CurlURL.withoutCredentials(url))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["summary": description]) }
}

extension CurlSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        var parts: [String] = []
        if caPEM != nil { parts.append("CA in memory") }
        if let caFile { parts.append("CA file \(caFile)") }
        if insecureSkipVerify { parts.append("TLS unverified") }
        if clientCertificatePEM != nil { parts.append("client certificate") }
        if let proxyURL { parts.append("proxy \(CurlURL.withoutCredentials(proxyURL))") }
        switch authentication {
        case .basic(let username, _)?: parts.append("basic auth as \(username)")
        case .bearer?: parts.append("bearer token")
        case nil: break
        }
        return "CurlSettings(\(parts.joined(separator: ", ")))"
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["summary": description]) }
}
