import CLibCurl
import CLibGit2
import Foundation

/// One request of the smart-HTTP protocol as a libgit2 stream: writes collect the request body,
/// the first read sends it, and reads then hand back the response as it arrives.
final class CurlStream {
    private let subtransport: CurlSubtransport
    private let context: OperationContext
    private let url: String
    private let post: Bool
    private let expectedType: String
    private var body: [UInt8] = []
    private var easy: CurlEasy?
    private var started = false
    private var finished = false
    private var verified = false
    private var failure: CURLcode = CURLE_OK
    /// Response bytes received and not yet handed to libgit2.
    fileprivate var pending: [UInt8] = []
    private var pendingOffset = 0

    init(subtransport: CurlSubtransport, context: OperationContext, url: String, post: Bool, expectedType: String) {
        self.subtransport = subtransport
        self.context = context
        self.url = url
        self.post = post
        self.expectedType = expectedType
    }

    deinit {
        if let easy, let multi = subtransport.multi {
            drain()
            curl_multi_remove_handle(multi, easy.handle)
        }
    }

    /// libgit2 stops reading at the protocol's last packet, often just before libcurl has seen the
    /// end of the response; a transfer removed unfinished closes its connection. Reading the few
    /// bytes left lets the next request of the operation reuse the connection.
    private func drain() {
        var drained = 0
        while !finished && drained < 64 << 10 && !context.shouldAbort {
            pendingOffset = 0
            pending.removeAll(keepingCapacity: true)
            if pump() != nil { return }
            drained += pending.count
        }
    }

    /// Allocates the C stream that libgit2 drives; it owns a reference to this object until freed.
    func install() -> UnsafeMutablePointer<git_smart_subtransport_stream> {
        let box = UnsafeMutablePointer<sluice_subtransport_stream>.allocate(capacity: 1)
        box.initialize(to: sluice_subtransport_stream())
        box.pointee.context = Unmanaged.passRetained(self).toOpaque()
        box.pointee.parent.read = { stream, buffer, size, bytesRead in
            guard let stream, let buffer, let bytesRead, let me = CurlStream.from(stream) else { return -1 }
            return me.read(buffer, size, bytesRead)
        }
        box.pointee.parent.write = { stream, buffer, length in
            guard let stream, let me = CurlStream.from(stream) else { return -1 }
            if length > 0, let buffer {
                me.body.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
            }
            return 0
        }
        box.pointee.parent.free = { stream in
            guard let stream else { return }
            let raw = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: sluice_subtransport_stream.self)
            if let context = raw.pointee.context { Unmanaged<CurlStream>.fromOpaque(context).release() }
            raw.deinitialize(count: 1)
            raw.deallocate()
        }
        return UnsafeMutableRawPointer(box).assumingMemoryBound(to: git_smart_subtransport_stream.self)
    }

    private static func from(_ stream: UnsafeMutablePointer<git_smart_subtransport_stream>) -> CurlStream? {
        let raw = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: sluice_subtransport_stream.self)
        return raw.pointee.context.map { Unmanaged<CurlStream>.fromOpaque($0).takeUnretainedValue() }
    }

    private func fail(_ error: GitSourceError) -> Int32 {
        context.record(error)
        _ = sluice_git_error_set(Int32(GIT_ERROR_NET.rawValue), error.message)
        return error.code == .authentication ? GIT_EAUTH.rawValue : -1
    }

    private func start() -> GitSourceError? {
        guard let multi = subtransport.multi else { return GitSourceError(.other, "libcurl could not create a multi handle") }
        var headers = ["Accept: \(post ? expectedType : "*/*")"]
        if post { headers.append("Content-Type: application/x-git-upload-pack-request") }
        do {
            let easy = try CurlEasy(url: url, context: context, headers: headers)
            if post { easy.setPostBody(body) }
            body = []
            _ = sluice_curl_setopt_write_callback(easy.handle) { data, size, count, user in
                guard let data, let user else { return 0 }
                let me = Unmanaged<CurlStream>.fromOpaque(user).takeUnretainedValue()
                let n = size * count
                me.pending.append(contentsOf: UnsafeRawBufferPointer(start: data, count: n))
                return n
            }
            _ = sluice_curl_setopt_pointer(easy.handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque())
            curl_multi_add_handle(multi, easy.handle)
            self.easy = easy
            started = true
            return nil
        } catch let error as GitSourceError {
            return error
        } catch {
            return GitSourceError(.other, "\(error)")
        }
    }

    /// Drives the transfer until some response bytes are available or it ends.
    private func pump() -> GitSourceError? {
        guard let multi = subtransport.multi, let easy else { return nil }
        while pendingOffset >= pending.count && !finished {
            if context.shouldAbort { return context.abortError(RepositoryURL.redact(url)) }
            var running: Int32 = 0
            let code = curl_multi_perform(multi, &running)
            if code != CURLM_OK {
                return GitSourceError(.network, "\(RepositoryURL.redact(url)): \(String(cString: curl_multi_strerror(code)))")
            }
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                if message.pointee.msg == CURLMSG_DONE, message.pointee.easy_handle == easy.handle {
                    finished = true
                    failure = message.pointee.data.result
                }
            }
            if pendingOffset < pending.count || finished { break }
            // Wake at least every 100 ms to notice cancellation and the deadline.
            _ = curl_multi_poll(multi, nil, 0, 100, nil)
        }
        if finished && failure != CURLE_OK {
            return easy.error(failure, context: context)
        }
        return nil
    }

    private func read(_ buffer: UnsafeMutablePointer<CChar>, _ size: Int, _ bytesRead: UnsafeMutablePointer<Int>) -> Int32 {
        bytesRead.pointee = 0
        if !started, let error = start() { return fail(error) }
        if let error = pump() { return fail(error) }
        if !verified, let easy {
            let status = easy.responseCode
            if status != 0 {
                if status != 200 { return fail(CurlEasy.statusError(status, url: url, context: context)) }
                let type = easy.contentType?.lowercased() ?? ""
                if !type.hasPrefix(expectedType) {
                    return fail(GitSourceError(.protocolError,
                        "\(RepositoryURL.redact(url)) does not speak Git's smart HTTP protocol (content type '\(type)')"))
                }
                verified = true
            }
        }
        let available = pending.count - pendingOffset
        if available > 0 {
            let n = min(available, size)
            pending.withUnsafeBytes { raw in
                if let base = raw.baseAddress {
                    UnsafeMutableRawPointer(buffer).copyMemory(from: base + pendingOffset, byteCount: n)
                }
            }
            pendingOffset += n
            if pendingOffset == pending.count {
                pending.removeAll(keepingCapacity: true)
                pendingOffset = 0
            }
            bytesRead.pointee = n
        }
        return 0
    }
}
