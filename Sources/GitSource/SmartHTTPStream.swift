import CLibGit2
import Curl
import Foundation

/// One request of the smart-HTTP protocol as a libgit2 stream: writes collect the request body,
/// the first read sends it, and reads then hand back the response as it arrives.
///
/// The transfer runs on the Curl module's shared multi loop; libgit2's thread blocks in `read`
/// until bytes arrive, the operation is cancelled or its deadline passes.
final class SmartHTTPStream {
    private let context: OperationContext
    private let url: String
    private let post: Bool
    private let expectedType: String
    private var body: [UInt8] = []
    /// Freed with this stream: libgit2 stops reading at the protocol's last packet, often just
    /// before libcurl has seen the end of the response, and the Curl stream then reads the few
    /// bytes left so that the next request of the operation can reuse the connection.
    private var transfer: CurlBlockingStream?
    private var verified = false

    init(context: OperationContext, url: String, post: Bool, expectedType: String) {
        self.context = context
        self.url = url
        self.post = post
        self.expectedType = expectedType
    }

    /// Allocates the C stream that libgit2 drives; it owns a reference to this object until freed.
    func install() -> UnsafeMutablePointer<git_smart_subtransport_stream> {
        let box = UnsafeMutablePointer<sluice_subtransport_stream>.allocate(capacity: 1)
        box.initialize(to: sluice_subtransport_stream())
        box.pointee.context = Unmanaged.passRetained(self).toOpaque()
        box.pointee.parent.read = { stream, buffer, size, bytesRead in
            guard let stream, let buffer, let bytesRead, let me = SmartHTTPStream.from(stream) else { return -1 }
            return me.read(buffer, size, bytesRead)
        }
        box.pointee.parent.write = { stream, buffer, length in
            guard let stream, let me = SmartHTTPStream.from(stream) else { return -1 }
            if length > 0, let buffer {
                me.body.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
            }
            return 0
        }
        box.pointee.parent.free = { stream in
            guard let stream else { return }
            let raw = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: sluice_subtransport_stream.self)
            if let context = raw.pointee.context { Unmanaged<SmartHTTPStream>.fromOpaque(context).release() }
            raw.deinitialize(count: 1)
            raw.deallocate()
        }
        return UnsafeMutableRawPointer(box).assumingMemoryBound(to: git_smart_subtransport_stream.self)
    }

    private static func from(_ stream: UnsafeMutablePointer<git_smart_subtransport_stream>) -> SmartHTTPStream? {
        let raw = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: sluice_subtransport_stream.self)
        return raw.pointee.context.map { Unmanaged<SmartHTTPStream>.fromOpaque($0).takeUnretainedValue() }
    }

    private func fail(_ error: GitSourceError) -> Int32 {
        context.record(error)
        _ = sluice_git_error_set(Int32(GIT_ERROR_NET.rawValue), error.message)
        return error.code == .authentication ? GIT_EAUTH.rawValue : -1
    }

    /// Runs a Curl call, translating its failure.
    private func curl<T>(_ body: () throws(CurlError) -> T) throws(GitSourceError) -> T {
        do {
            return try body()
        } catch {
            throw SmartHTTP.error(error, context: context)
        }
    }

    /// Sends the request with the body libgit2 wrote, on the first read.
    private func open() throws(GitSourceError) -> CurlBlockingStream {
        if let transfer { return transfer }
        var headers = [("Accept", post ? expectedType : "*/*")]
        if post { headers.append(("Content-Type", "application/x-git-upload-pack-request")) }
        let request = SmartHTTP.request(url, context: context, headers: headers, body: post ? body : nil)
        body = []
        let settings = SmartHTTP.settings(context)
        let transfer = try curl { () throws(CurlError) in try CurlBlockingStream(request, settings: settings) }
        self.transfer = transfer
        return transfer
    }

    /// Checks, once, that the response is what Git expects.
    private func verify(_ transfer: CurlBlockingStream) throws(GitSourceError) {
        if verified { return }
        let head = try curl { () throws(CurlError) in try transfer.response() }
        if head.status != 200 { throw SmartHTTP.statusError(head.status, url: url, context: context) }
        let type = head.contentType?.lowercased() ?? ""
        if !type.hasPrefix(expectedType) {
            throw GitSourceError(.protocolError, "\(RepositoryURL.redact(url)) does not speak Git's smart HTTP protocol (content type '\(type)')")
        }
        verified = true
    }

    private func read(_ buffer: UnsafeMutablePointer<CChar>, _ size: Int, _ bytesRead: UnsafeMutablePointer<Int>) -> Int32 {
        bytesRead.pointee = 0
        do {
            let transfer = try open()
            try verify(transfer)
            let into = UnsafeMutableRawBufferPointer(start: buffer, count: size)
            bytesRead.pointee = try curl { () throws(CurlError) in try transfer.read(into: into) }
            return 0
        } catch {
            return fail(error)
        }
    }
}
