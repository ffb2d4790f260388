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
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw TestSupportError(.systemCall, "bind: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(fd, $0, &length)
            }
        }
        guard named == 0 else { throw TestSupportError(.systemCall, "getsockname: errno \(errno)") }
        return UInt16(bigEndian: address.sin_port)
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
            #if canImport(Glibc)
            _ = Glibc.close(descriptor)
            #else
            _ = Darwin.close(descriptor)
            #endif
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

        deinit {
            #if canImport(Glibc)
            _ = Glibc.close(descriptor)
            #else
            _ = Darwin.close(descriptor)
            #endif
        }
    }

    /// A port that refuses connections while the result is kept (see ``RefusingPort``).
    public static func refusingPort() throws -> RefusingPort {
        let fd = try makeSocket()
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(fd, $0, &length)
            }
        }
        guard bound == 0, named == 0 else {
            close(fd)
            throw TestSupportError(.systemCall, "bind or getsockname: errno \(errno)")
        }
        return RefusingPort(port: UInt16(bigEndian: address.sin_port), descriptor: fd)
    }

    /// Listens on 127.0.0.1 at a free port; ``ListeningSocket/close()`` frees it.
    public static func listeningSocket() throws -> ListeningSocket {
        let fd = try makeSocket()
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 8) == 0 else {
            close(fd)
            throw TestSupportError(.systemCall, "bind or listen: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(fd, $0, &length)
            }
        }
        guard named == 0 else {
            close(fd)
            throw TestSupportError(.systemCall, "getsockname: errno \(errno)")
        }
        return ListeningSocket(port: UInt16(bigEndian: address.sin_port), descriptor: fd)
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
