import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX socket helpers for servers on 127.0.0.1.
public enum Loopback {
    /// The loopback address every fixture listens on.
    public static let host = "127.0.0.1"

    /// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, closed).
    ///
    /// Another process may take it before the caller binds it; fixtures retry startup when that
    /// happens.
    public static func freePort() throws -> UInt16 {
        let fd = try makeSocket()
        defer { close(fd) }
        guard bindLoopback(fd, port: 0) == 0 else { throw TestSupportError(.systemCall, "bind: errno \(errno)") }
        guard let port = boundPort(fd) else { throw TestSupportError(.systemCall, "getsockname: errno \(errno)") }
        return port
    }

    /// A socket listening on 127.0.0.1 at a port the system picked, to hold the port busy.
    public final class ListeningSocket: Sendable {
        /// The port it listens on.
        public let port: UInt16
        private let descriptor: Int32

        init(port: UInt16, descriptor: Int32) {
            self.port = port
            self.descriptor = descriptor
        }

        /// Stops listening.
        public func close() {
            Loopback.closeDescriptor(descriptor)
        }
    }

    /// A port on 127.0.0.1 that refuses connections for as long as this value lives: a socket bound
    /// to it that does not listen. Unlike a port that ``freePort()`` found free, no other server of
    /// the test process can take it meanwhile (tests run in parallel and start servers on free ports).
    public final class RefusingPort: @unchecked Sendable {
        /// The port connections are refused on.
        public let port: UInt16
        private let descriptor: Int32

        init(port: UInt16, descriptor: Int32) {
            self.port = port
            self.descriptor = descriptor
        }

        deinit { Loopback.closeDescriptor(descriptor) }
    }

    /// A port that refuses connections while the result is kept (see ``RefusingPort``).
    public static func refusingPort() throws -> RefusingPort {
        let fd = try makeSocket()
        guard bindLoopback(fd, port: 0) == 0, let port = boundPort(fd) else {
            close(fd)
            throw TestSupportError(.systemCall, "bind or getsockname: errno \(errno)")
        }
        return RefusingPort(port: port, descriptor: fd)
    }

    /// Listens on 127.0.0.1 at a free port; ``ListeningSocket/close()`` frees it.
    public static func listeningSocket() throws -> ListeningSocket {
        let fd = try makeSocket()
        guard bindLoopback(fd, port: 0) == 0, listen(fd, 8) == 0 else {
            close(fd)
            throw TestSupportError(.systemCall, "bind or listen: errno \(errno)")
        }
        guard let port = boundPort(fd) else {
            close(fd)
            throw TestSupportError(.systemCall, "getsockname: errno \(errno)")
        }
        return ListeningSocket(port: port, descriptor: fd)
    }

    /// A port on 127.0.0.1 kept for one server across its restarts, so that no other process can
    /// take it while the server is down (seen in CI: a server stopped for a minute, and another
    /// test's server given its port, which the restarted one then could not bind; its clients
    /// talked to the wrong server).
    ///
    /// While down, a socket bound to the port that does not listen: connections are refused, as
    /// for a stopped server. ``listen()`` makes that socket listen and returns it for the server
    /// process to inherit (as its standard input) and accept on; ``refuse()`` binds a new socket to
    /// the port before closing the listening one, so the port is never free in between. Both
    /// sockets set `SO_REUSEPORT`, which lets them share the port for that moment and keeps out
    /// every process that does not set it (a port shared that way must be shared by one user).
    public final class HeldPort: @unchecked Sendable {
        /// The port.
        public let port: UInt16
        private var descriptor: Int32
        private var listening = false
        private let lock = NSLock()

        init(port: UInt16, descriptor: Int32) {
            self.port = port
            self.descriptor = descriptor
        }

        deinit { Loopback.closeDescriptor(descriptor) }

        /// Makes the port accept connections; returns the listening socket, which stays open here
        /// too (connections wait in its backlog until a server accepts them).
        public func listen() throws -> Int32 {
            lock.lock()
            defer { lock.unlock() }
            if !listening {
                #if canImport(Glibc)
                let listened = Glibc.listen(descriptor, 128)
                #else
                let listened = Darwin.listen(descriptor, 128)
                #endif
                guard listened == 0 else { throw TestSupportError(.systemCall, "listen on port \(port): errno \(errno)") }
                listening = true
            }
            return descriptor
        }

        /// Makes the port refuse connections again, without letting it go. A server process that
        /// inherited the listening socket keeps serving on its copy until it exits.
        public func refuse() throws {
            lock.lock()
            defer { lock.unlock() }
            guard listening else { return }
            let replacement = try Loopback.bindSharing(port: port)
            Loopback.closeDescriptor(descriptor)
            descriptor = replacement
            listening = false
        }
    }

    /// A port on 127.0.0.1 that the system picked, held (refusing connections) until the result is
    /// gone; see ``HeldPort``.
    public static func heldPort() throws -> HeldPort {
        let fd = try bindSharing(port: 0)
        guard let port = boundPort(fd) else {
            closeDescriptor(fd)
            throw TestSupportError(.systemCall, "getsockname: errno \(errno)")
        }
        return HeldPort(port: port, descriptor: fd)
    }

    /// A close-on-exec socket with `SO_REUSEPORT`, bound to 127.0.0.1:`port` (0: one the system picks).
    private static func bindSharing(port: UInt16) throws -> Int32 {
        let fd = try makeSocket()
        var on: Int32 = 1
        guard fcntl(fd, F_SETFD, FD_CLOEXEC) == 0,
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
        else {
            let code = errno
            closeDescriptor(fd)
            throw TestSupportError(.systemCall, "fcntl or setsockopt(SO_REUSEPORT): errno \(code)")
        }
        guard bindLoopback(fd, port: port) == 0 else {
            let code = errno
            closeDescriptor(fd)
            throw TestSupportError(.systemCall, "bind to port \(port): errno \(code)")
        }
        return fd
    }

    /// Binds `fd` to 127.0.0.1:`port` (0: one the system picks); `bind`'s result.
    private static func bindLoopback(_ fd: Int32, port: UInt16) -> Int32 {
        var address = loopbackAddress(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    /// The port `fd` is bound to; `nil` when `getsockname` fails (`errno` says why).
    private static func boundPort(_ fd: Int32) -> UInt16? {
        var address = loopbackAddress(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(fd, $0, &length)
            }
        }
        return named == 0 ? UInt16(bigEndian: address.sin_port) : nil
    }

    private static func closeDescriptor(_ fd: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }

    /// Opens a TCP connection to 127.0.0.1:`port` and returns the socket; the caller closes it.
    public static func connect(port: UInt16, receiveTimeout: Duration? = nil) throws -> Int32 {
        let fd = try makeSocket()
        if let receiveTimeout {
            var value = timeval(
                tv_sec: Int(receiveTimeout.components.seconds),
                tv_usec: .init(receiveTimeout.components.attoseconds / 1_000_000_000_000))
            _ = setsockopt(
                fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        }
        var address = loopbackAddress(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                systemConnect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw TestSupportError(.systemCall, "connect to \(host):\(port): errno \(code)")
        }
        return fd
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port` right now.
    public static func isAccepting(port: UInt16) -> Bool {
        guard let fd = try? connect(port: port) else { return false }
        close(fd)
        return true
    }

    /// Connects and returns the first line the server sends (an SSH banner, say), or throws when
    /// nothing arrives within `timeout`.
    public static func readGreeting(port: UInt16, timeout: Duration = .seconds(5)) throws -> String {
        let fd = try connect(port: port, receiveTimeout: timeout)
        defer { close(fd) }
        var received = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 256)
        while !received.contains(UInt8(ascii: "\n")) && received.count < 4096 {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else {
                throw TestSupportError(.systemCall, "no greeting from \(host):\(port) (errno \(errno))")
            }
            received.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: received, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).first
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
    }

    private static func makeSocket() throws -> Int32 {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw TestSupportError(.systemCall, "socket: errno \(errno)") }
        return fd
    }

    private static func loopbackAddress(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        return address
    }

    private static func systemConnect(
        _ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t
    ) -> Int32 {
        #if canImport(Glibc)
        return Glibc.connect(fd, address, length)
        #else
        return Darwin.connect(fd, address, length)
        #endif
    }
}
