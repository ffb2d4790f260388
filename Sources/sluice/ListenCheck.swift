import Foundation

/// Checks that an address can be listened on before anything else starts, so a busy port is one
/// clear line and exit 2 (`cannot listen on 127.0.0.1:9797: address in use`), not a server error
/// after the agent has begun its work.
enum ListenCheck {
    /// Binds a socket to `host:port` and closes it; throws a usage error that says why it cannot.
    static func check(host: String, port: Int) throws {
        guard port != 0 else { return }  // the system picks a free one
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &found)
        guard status == 0, let first = found else {
            throw CLIExit.usage("cannot listen on \(host):\(port): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(found) }
        let descriptor = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard descriptor >= 0 else { throw CLIExit.usage("cannot listen on \(host):\(port): \(reason(errno))") }
        defer { close(descriptor) }
        var one: Int32 = 1
        // The server itself sets SO_REUSEADDR: a port in TIME_WAIT is not "in use" for it either.
        _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            throw CLIExit.usage("cannot listen on \(host):\(port): \(reason(errno))")
        }
    }

    /// `address in use`, `permission denied`: the system's words, in the style of the other messages.
    static func reason(_ code: Int32) -> String {
        switch code {
        case EADDRINUSE: return "address in use"
        case EADDRNOTAVAIL: return "the address is not one of this machine's"
        case EACCES: return "permission denied (ports below 1024 need privileges)"
        default: return String(cString: strerror(code)).lowercased()
        }
    }
}
