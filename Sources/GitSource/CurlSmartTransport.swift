import CLibGit2
import Foundation

/// libgit2's smart-HTTP subtransport, built on libcurl (through the Curl module).
///
/// libgit2 1.5's own HTTP transport has no socket timeouts, so a server that accepts a connection
/// and never answers would hang a fetch forever. Registered for `http://` and `https://`, this one
/// gives every request the operation's deadline and cancellation, libcurl's proxy support
/// (HTTPS_PROXY, NO_PROXY), OpenSSL with the system trust store or a given CA bundle, and HTTP/2.
/// Requests run on the Curl module's shared multi loop, whose connection cache lets the pack
/// request reuse the ref advertisement's connection.
enum CurlSmartTransport {
    static func register() {
        let transportCallback: git_transport_cb = { out, owner, _ in
            var definition = git_smart_subtransport_definition(
                callback: CurlSmartTransport.subtransportCallback, rpc: 1, param: nil)
            return git_transport_smart(out, owner, &definition)
        }
        _ = git_transport_register("http", transportCallback, nil)
        _ = git_transport_register("https", transportCallback, nil)
    }

    static let subtransportCallback: git_smart_subtransport_cb = { out, owner, _ in
        guard let out else { return -1 }
        let box = UnsafeMutablePointer<sluice_subtransport>.allocate(capacity: 1)
        box.initialize(to: sluice_subtransport())
        box.pointee.owner = owner
        box.pointee.context = Unmanaged.passRetained(CurlSubtransport(owner: owner)).toOpaque()
        box.pointee.parent.action = { streamOut, transport, url, action in
            guard let streamOut, let transport, let url else { return -1 }
            guard let sub = CurlSmartTransport.subtransport(transport) else { return -1 }
            return sub.action(streamOut, String(cString: url), action)
        }
        box.pointee.parent.close = { _ in 0 }
        box.pointee.parent.free = { transport in
            guard let transport else { return }
            let raw = UnsafeMutableRawPointer(transport).assumingMemoryBound(to: sluice_subtransport.self)
            if let context = raw.pointee.context {
                Unmanaged<CurlSubtransport>.fromOpaque(context).release()
            }
            raw.deinitialize(count: 1)
            raw.deallocate()
        }
        out.pointee = UnsafeMutableRawPointer(box).assumingMemoryBound(to: git_smart_subtransport.self)
        return 0
    }

    static func subtransport(_ pointer: UnsafeMutablePointer<git_smart_subtransport>) -> CurlSubtransport? {
        let raw = UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: sluice_subtransport.self)
        return raw.pointee.context.map { Unmanaged<CurlSubtransport>.fromOpaque($0).takeUnretainedValue() }
    }
}

/// The state behind one libgit2 subtransport: the transport it belongs to, whose connect
/// options carry the operation context.
final class CurlSubtransport {
    let owner: UnsafeMutablePointer<git_transport>?

    init(owner: UnsafeMutablePointer<git_transport>?) {
        self.owner = owner
    }

    /// The operation this transport works for, from the remote's callbacks payload.
    func operationContext(url: String) -> OperationContext {
        var options = git_remote_connect_options()
        git_remote_connect_options_init(&options, UInt32(GIT_REMOTE_CONNECT_OPTIONS_VERSION))
        if let owner, git_transport_remote_connect_options(&options, owner) == 0 {
            defer { git_remote_connect_options_dispose(&options) }
            if let payload = options.callbacks.payload {
                return Unmanaged<OperationContext>.fromOpaque(payload).takeUnretainedValue()
            }
        }
        // Not one of ours (libgit2 used directly): defaults, still with a deadline.
        let parsed = (try? RepositoryURL(url)) ?? RepositoryURL(unparsed: url)
        return OperationContext(url: parsed, credentials: GitCredentials(), timeout: .seconds(60))
    }

    func action(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_smart_subtransport_stream>?>,
        _ url: String, _ action: git_smart_service_t
    ) -> Int32 {
        let context = operationContext(url: url)
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        let stream: SmartHTTPStream
        switch action {
        case GIT_SERVICE_UPLOADPACK_LS:
            stream = SmartHTTPStream(context: context, url: base + "/info/refs?service=git-upload-pack",
                                     post: false, expectedType: "application/x-git-upload-pack-advertisement")
        case GIT_SERVICE_UPLOADPACK:
            stream = SmartHTTPStream(context: context, url: base + "/git-upload-pack",
                                     post: true, expectedType: "application/x-git-upload-pack-result")
        default:
            _ = sluice_git_error_set(Int32(GIT_ERROR_NET.rawValue), "sluice only fetches; pushing is not supported")
            return -1
        }
        out.pointee = stream.install()
        return 0
    }
}

