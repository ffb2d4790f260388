import CLibCurl
import Foundation
import Synchronization

/// Where a transfer's outcome goes. Every closure is called on the multi loop's thread.
struct Delivery: Sendable {
    /// What a stream's receiver does with a chunk of the body.
    enum ChunkAnswer: Sendable {
        case accepted
        /// Not taken: libcurl holds it and pauses the transfer until it is resumed.
        case pause
        /// Not taken: the transfer fails.
        case stop
    }

    /// The response, exactly once: for a stream, a 200's status and headers as soon as they are
    /// complete; otherwise the whole response (any status), or the failure.
    var response: @Sendable (Result<CurlResponse, CurlError>) -> Void
    /// A stream's body after its 200 head; nil for a buffered transfer.
    var chunk: (@Sendable (UnsafeRawBufferPointer) -> ChunkAnswer)?
    /// A stream's end, exactly once, after ``response``.
    var end: (@Sendable (CurlError?) -> Void)?
}

/// One request on the multi loop: its easy handle and what it delivers, a whole response or a
/// stream of body chunks after a successful status.
///
/// `@unchecked Sendable` because it crosses to the loop's thread once: it is configured by the
/// caller, then touched only by the loop while it runs (libcurl's callbacks run there too).
final class Transfer: @unchecked Sendable {
    let easy: EasyHandle
    /// Set by ``CurlMultiLoop/remove(_:)`` from any thread: a transfer stopped before the loop
    /// started it is finished, not started.
    let stopRequested = Atomic<Bool>(false)
    private let shouldStop: (@Sendable () -> Bool)?
    private let maximumBodySize: Int?
    private let captureCertificate: Bool
    private var delivery: Delivery?
    private var status = 0
    private var headers: [String: String] = [:]
    private var body: [UInt8] = []
    private var streaming = false

    init(request: CurlRequest, settings: CurlSettings) throws(CurlError) {
        easy = try EasyHandle(request: request, settings: settings)
        shouldStop = request.shouldStop
        maximumBodySize = request.maximumBodySize
        captureCertificate = request.captureCertificate
        let handle = easy.pointer
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = sluice_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, me)
        _ = sluice_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, me)
        _ = sluice_curl_setopt_write_callback(handle) { data, size, count, context in
            guard let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            let length = size * count
            guard let data else { return length }
            return transfer.received(UnsafeRawBufferPointer(start: data, count: length))
        }
        _ = sluice_curl_setopt_header_callback(handle) { data, size, count, context in
            guard let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            let length = size * count
            if let data { transfer.receivedHeader(String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)) }
            return length
        }
        if shouldStop != nil {
            // Cancellation reaches libcurl through its progress callback.
            _ = sluice_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
            _ = sluice_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, me)
            _ = sluice_curl_setopt_xferinfo_callback(handle) { context, _, _, _, _ in
                guard let context else { return 0 }
                let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
                return transfer.shouldStop?() == true ? 1 : 0
            }
        }
    }

    /// Hands the transfer to the loop.
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
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        // A header sent more than once (Warning, for one) is one list, as RFC 9110 combines them.
        if let earlier = headers[name] { headers[name] = earlier + ", " + value } else { headers[name] = value }
    }

    private func headersComplete() {
        guard let delivery, delivery.chunk != nil, status == 200, !streaming else { return }
        streaming = true
        var head = CurlResponse(status: status, headers: headers)
        if let version = easy.httpVersion { head.headers[":http-version"] = version }
        delivery.response(.success(head))
    }

    /// Body bytes from libcurl: how many were taken, or libcurl's pause request.
    private func received(_ bytes: UnsafeRawBufferPointer) -> Int {
        if streaming, let chunk = delivery?.chunk {
            switch chunk(bytes) {
            case .accepted: return bytes.count
            case .pause: return sluice_curl_writefunc_pause()
            case .stop: return 0
            }
        }
        if let maximumBodySize, body.count + bytes.count > maximumBodySize { return 0 }
        body.append(contentsOf: bytes)
        return bytes.count
    }

    /// Called on the loop thread when libcurl is done with the transfer.
    func finish(curlCode: CURLcode) {
        guard let delivery else { return }
        self.delivery = nil
        if captureCertificate {
            let (subject, issuer) = easy.certificateSubjectAndIssuer
            headers[":certificate-subject"] = subject
            headers[":certificate-issuer"] = issuer
        }
        if let version = easy.httpVersion { headers[":http-version"] = version }
        let failure: CurlError? = curlCode == CURLE_OK ? nil : easy.error(curlCode)
        finish(delivery, failure)
    }

    /// Called on the loop thread when the transfer was stopped before it finished.
    func finishCancelled() {
        guard let delivery else { return }
        self.delivery = nil
        finish(delivery, .cancelled(easy.url))
    }

    private func finish(_ delivery: Delivery, _ failure: CurlError?) {
        if !streaming {
            if let failure {
                delivery.response(.failure(failure))
            } else {
                // A buffered response, or a stream's answer other than 200 with its whole body.
                delivery.response(.success(CurlResponse(status: status, headers: headers, body: body)))
            }
        }
        delivery.end?(failure)
    }
}
