import Foundation

/// One request the ``GitHTTPServer`` answered, as its statistics file recorded it.
///
/// Byte counts are HTTP bytes (request line, headers and body as sent; status line, headers and
/// body including chunk framing), measured inside TLS for HTTPS. Use ``CountingProxy`` for the
/// bytes on the wire including TLS.
public struct GitHTTPRequestRecord: Sendable, Hashable, Decodable {
    /// The server's number for the TCP connection; requests sharing it were kept alive.
    public var connection: Int
    /// `GET` or `POST`.
    public var method: String
    /// The request path, e.g. `/app.git/info/refs`.
    public var path: String
    /// The query string without `?`, e.g. `service=git-upload-pack`.
    public var query: String
    /// The HTTP status sent.
    public var status: Int
    /// Bytes of the request: request line, headers, body (as framed on the connection).
    public var requestBytes: Int
    /// Bytes of the response: status line, headers, body (with chunk framing).
    public var responseBytes: Int
    /// The `Git-Protocol` header the client sent (e.g. `version=2`), whether or not it was
    /// passed on to `git http-backend`.
    public var gitProtocol: String?
    /// The authenticated user (`REMOTE_USER`), if any.
    public var user: String?
    /// The request's `Content-Encoding` (e.g. `gzip`).
    public var contentEncoding: String?
    /// Whether the request body arrived with `Transfer-Encoding: chunked`.
    public var chunkedRequest: Bool
    /// The scheme of the `Authorization` header (`Basic`, `Bearer`), never its value.
    public var authorization: String?
    /// When the response finished (seconds since 1970).
    public var time: Double
}
