import CLibCurl
import Foundation
import Synchronization

/// How to reach a server: TLS trust and client identity, proxy. Built from a ``ClusterConnection``.
struct TransportSettings: Sendable {
    var caPEM: String?
    var insecureSkipVerify = false
    var clientCertificatePEM: String?
    var clientKeyPEM: String?
    var proxyURL: String?
    var connectTimeout: Duration = .seconds(10)
}

/// One HTTP request to the API server.
struct HTTPRequest: Sendable {
    var method: String
    var url: String
    var headers: [(String, String)] = []
    var body: [UInt8]?
    /// The whole transfer's limit; nil for streams (watches, followed logs).
    var timeout: Duration?
    /// Record the server certificate's subject and issuer (`:certificate-subject`,
    /// `:certificate-issuer` in the response headers), to explain a TLS failure.
    var captureCertificate = false
}

/// A buffered response.
struct HTTPResponse: Sendable {
    var status: Int
    /// Header names lower-cased; `:http-version` is the protocol the answer came over ("1.1", "2").
    var headers: [String: String]
    var body: [UInt8]
}

/// A failure below HTTP: connecting, TLS, timeouts, cancellation.
struct TransportFailure: Error, Sendable {
    enum Kind: Sendable { case connect, tls, timeout, cancelled, other }
    var kind: Kind
    var curlCode: Int32
    var message: String
}

/// One libcurl easy handle and what it delivers: a whole response, or a stream of body chunks
/// after a successful status. Confined to the multi loop's thread while it runs.
final class Transfer: @unchecked Sendable {
    enum Delivery {
        case buffered(CheckedContinuation<HTTPResponse, any Error>)
        case stream(status: CheckedContinuation<HTTPResponse, any Error>, chunks: AsyncThrowingStream<[UInt8], any Error>.Continuation)
    }

    let easy: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var delivery: Delivery?
    private var status = 0
    private var headers: [String: String] = [:]
    private var body: [UInt8] = []
    private var streaming = false
    private var captureCertificate = false
    let url: String

    init(request: HTTPRequest, settings: TransportSettings) throws(TransportFailure) {
        guard let easy = curl_easy_init() else {
            throw TransportFailure(kind: .other, curlCode: Int32(CURLE_FAILED_INIT.rawValue), message: "libcurl could not create a handle")
        }
        self.easy = easy
        url = request.url
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        _ = sluice_curl_setopt_string(easy, CURLOPT_URL, request.url)
        _ = sluice_curl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = sluice_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = sluice_curl_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        _ = sluice_curl_setopt_long(easy, CURLOPT_PIPEWAIT, 1)
        _ = sluice_curl_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        _ = sluice_curl_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, "")
        _ = sluice_curl_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = sluice_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(settings.connectTimeout))
        if let timeout = request.timeout { _ = sluice_curl_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(timeout)) }
        if let ca = settings.caPEM { Self.setBlob(easy, CURLOPT_CAINFO_BLOB, ca) }
        if settings.insecureSkipVerify {
            _ = sluice_curl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0)
            _ = sluice_curl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let certificate = settings.clientCertificatePEM, let key = settings.clientKeyPEM {
            _ = sluice_curl_setopt_string(easy, CURLOPT_SSLCERTTYPE, "PEM")
            Self.setBlob(easy, CURLOPT_SSLCERT_BLOB, certificate)
            _ = sluice_curl_setopt_string(easy, CURLOPT_SSLKEYTYPE, "PEM")
            Self.setBlob(easy, CURLOPT_SSLKEY_BLOB, key)
        }
        if let proxy = settings.proxyURL { _ = sluice_curl_setopt_string(easy, CURLOPT_PROXY, proxy) }
        if request.captureCertificate {
            captureCertificate = true
            _ = sluice_curl_setopt_long(easy, CURLOPT_CERTINFO, 1)
            _ = sluice_curl_setopt_long(easy, CURLOPT_NOBODY, 1)
        }
        switch request.method {
        case "GET": break
        case "POST": _ = sluice_curl_setopt_long(easy, CURLOPT_POST, 1)
        default:
            _ = sluice_curl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)
        }
        if let body = request.body {
            if request.method != "POST" { _ = sluice_curl_setopt_long(easy, CURLOPT_POST, 1) }
            _ = sluice_curl_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { raw in
                _ = sluice_curl_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)))
            }
            if request.method != "POST" { _ = sluice_curl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method) }
        }
        for (name, value) in request.headers + [("Expect", "")] {
            headerList = curl_slist_append(headerList, value.isEmpty ? "\(name):" : "\(name): \(value)")
        }
        _ = sluice_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList)
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = sluice_curl_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
        _ = sluice_curl_setopt_pointer(easy, CURLOPT_HEADERDATA, me)
        _ = sluice_curl_setopt_write_callback(easy) { data, size, count, context in
            guard let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            let length = size * count
            if let data { transfer.received(UnsafeRawBufferPointer(start: data, count: length)) }
            return length
        }
        _ = sluice_curl_setopt_header_callback(easy) { data, size, count, context in
            guard let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            let length = size * count
            if let data { transfer.receivedHeader(String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)) }
            return length
        }
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    private static func setBlob(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, _ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            _ = sluice_curl_setopt_blob(easy, option, raw.baseAddress, raw.count)
        }
    }

    func start(_ delivery: Delivery) {
        self.delivery = delivery
        CurlMultiLoop.shared.add(self)
    }

    private func receivedHeader(_ line: String) {
        if line.hasPrefix("HTTP/") {
            // A new response (after a redirect or 100-continue) starts over.
            let parts = line.split(separator: " ")
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers = [:]
            return
        }
        guard let colon = line.firstIndex(of: ":") else {
            if line == "\r\n" || line == "\n" { headersComplete() }
            return
        }
        let name = line[..<colon].lowercased()
        headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func headersComplete() {
        guard case .stream(let statusContinuation, let chunks)? = delivery, status == 200, !streaming, (100..<200).contains(status) == false else { return }
        streaming = true
        statusContinuation.resume(returning: HTTPResponse(status: status, headers: headers, body: []))
        delivery = .stream(status: statusContinuation, chunks: chunks)
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        if streaming, case .stream(_, let chunks)? = delivery {
            chunks.yield(Array(bytes))
        } else {
            body.append(contentsOf: bytes)
        }
    }

    /// The leaf certificate's `Subject` and `Issuer` lines, as libcurl reports them.
    private func recordCertificate() {
        var info: UnsafeMutablePointer<curl_certinfo>?
        guard sluice_curl_getinfo_certinfo(easy, &info) == CURLE_OK, let info, info.pointee.num_of_certs > 0,
            var item = info.pointee.certinfo?[0]
        else { return }
        while true {
            if let data = item.pointee.data {
                let line = String(cString: data)
                for field in ["Subject", "Issuer"] where line.hasPrefix(field + ":") {
                    headers[":certificate-" + field.lowercased()] = String(line.dropFirst(field.count + 1))
                }
            }
            guard let next = item.pointee.next else { break }
            item = next
        }
    }

    /// Called on the loop thread when libcurl is done with the transfer.
    func finish(curlCode: CURLcode) {
        guard let delivery else { return }
        self.delivery = nil
        if captureCertificate { recordCertificate() }
        var version = 0
        if sluice_curl_getinfo_long(easy, CURLINFO_HTTP_VERSION, &version) == CURLE_OK {
            headers[":http-version"] = version == Int(CURL_HTTP_VERSION_2_0) ? "2" : version == Int(CURL_HTTP_VERSION_3) ? "3" : "1.1"
        }
        let message = errorMessage(curlCode)
        let failure: TransportFailure? = curlCode == CURLE_OK ? nil : TransportFailure(
            kind: Self.kind(of: curlCode, message: message), curlCode: Int32(curlCode.rawValue), message: message)
        switch delivery {
        case .buffered(let continuation):
            if let failure {
                continuation.resume(throwing: failure)
            } else {
                continuation.resume(returning: HTTPResponse(status: status, headers: headers, body: body))
            }
        case .stream(let statusContinuation, let chunks):
            if streaming {
                if let failure { chunks.finish(throwing: failure) } else { chunks.finish() }
            } else if let failure {
                statusContinuation.resume(throwing: failure)
                chunks.finish(throwing: failure)
            } else {
                // Not a 200: the whole error body was buffered.
                statusContinuation.resume(returning: HTTPResponse(status: status, headers: headers, body: body))
                chunks.finish()
            }
        }
    }

    /// Called on the loop thread when the transfer was removed before it finished.
    func finishCancelled() {
        guard let delivery else { return }
        self.delivery = nil
        switch delivery {
        case .buffered(let continuation):
            continuation.resume(throwing: CancellationError())
        case .stream(let statusContinuation, let chunks):
            if !streaming { statusContinuation.resume(throwing: CancellationError()) }
            chunks.finish(throwing: CancellationError())
        }
    }

    private func errorMessage(_ code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }

    private static func kind(of code: CURLcode, message: String) -> TransportFailure.Kind {
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR:
            return .connect
        case CURLE_OPERATION_TIMEDOUT: return .timeout
        case CURLE_SSL_CONNECT_ERROR:
            // A handshake cut off by a server going away is a connection failure, not distrust.
            let lowered = message.lowercased()
            let dropped = ["reset by peer", "connection", "eof", "syscall", "broken pipe"].contains { lowered.contains($0) }
            let refused = ["certificate", "alert", "verify", "unknown ca"].contains { lowered.contains($0) }
            return dropped && !refused ? .connect : .tls
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CIPHER:
            return .tls
        default: return .other
        }
    }
}
