import CLibCurl
import Foundation

/// A whole response, for the small requests GitSource makes itself (the ref listing).
struct CurlResponse {
    var status: Int
    var contentType: String?
    var body: [UInt8]
}

extension CurlEasy {
    /// Runs the request to completion on the calling thread, refusing bodies over `limit` bytes.
    func perform(context: OperationContext, limit: Int = 64 << 20) throws -> CurlResponse {
        final class Sink {
            var body: [UInt8] = []
            let limit: Int
            let context: OperationContext
            init(limit: Int, context: OperationContext) { self.limit = limit; self.context = context }
        }
        let sink = Sink(limit: limit, context: context)
        return try withExtendedLifetime(sink) {
            let opaque = Unmanaged.passUnretained(sink).toOpaque()
            _ = sluice_curl_setopt_write_callback(handle) { data, size, count, user in
                guard let data, let user else { return 0 }
                let sink = Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue()
                let n = size * count
                if sink.body.count + n > sink.limit { return 0 }
                sink.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: n))
                return n
            }
            _ = sluice_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, opaque)
            _ = sluice_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
            _ = sluice_curl_setopt_xferinfo_callback(handle) { user, _, _, _, _ in
                guard let user else { return 0 }
                return Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue().context.shouldAbort ? 1 : 0
            }
            _ = sluice_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, opaque)
            let code = curl_easy_perform(handle)
            guard code == CURLE_OK else { throw error(code, context: context) }
            return CurlResponse(status: responseCode, contentType: contentType, body: sink.body)
        }
    }
}
