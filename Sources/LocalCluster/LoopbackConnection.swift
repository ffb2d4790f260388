import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One TCP exchange with a container's process on 127.0.0.1, for `tcpSocket` and `httpGet`
/// probes: connect, send a request, read the answer to end-of-file, all before a deadline.
///
/// Blocking (`poll(2)` waits for each step): call it on a thread of its own.
enum LoopbackConnection {
    struct Failure: Error, Sendable {
        /// In Go's words, as the kubelet's probe messages quote them (`connect: connection refused`).
        var message: String
        var timedOut = false
    }

    /// The most of an answer that is read: the kubelet reads 10 KiB of a probe's response body.
    static let maximumResponse = 16 << 10

    /// Connects to 127.0.0.1:`port`; with a `request`, sends it and returns what the server
    /// answers until it closes the connection (or ``maximumResponse`` bytes); without one,
    /// returns nothing once connected.
    static func exchange(port: Int, request: [UInt8]?, until deadline: ContinuousClock.Instant) -> Result<[UInt8], Failure> {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return .failure(Failure(message: "socket: \(String(cString: strerror(errno)))")) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(clamping: port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 {
            guard errno == EINPROGRESS else { return .failure(Self.connectFailure(errno)) }
            guard wait(fd, for: Int16(POLLOUT), until: deadline) else { return .failure(Failure(message: "i/o timeout", timedOut: true)) }
            var code: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
            if code != 0 { return .failure(Self.connectFailure(code)) }
        }
        guard let request else { return .success([]) }
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count > 0 {
                sent += count
            } else if errno == EAGAIN || errno == EINTR {
                guard wait(fd, for: Int16(POLLOUT), until: deadline) else { return .failure(Failure(message: "i/o timeout", timedOut: true)) }
            } else {
                return .failure(Failure(message: "write: \(String(cString: strerror(errno)))"))
            }
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while response.count < maximumResponse {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                response += buffer[0..<count]
            } else if count == 0 {
                break
            } else if errno == EAGAIN || errno == EINTR {
                guard wait(fd, for: Int16(POLLIN), until: deadline) else {
                    // A complete status line is an answer even from a server that keeps the connection open.
                    if response.contains(UInt8(ascii: "\n")) { break }
                    return .failure(Failure(message: "i/o timeout", timedOut: true))
                }
            } else if response.isEmpty {
                return .failure(Failure(message: "read: \(String(cString: strerror(errno)))"))
            } else {
                break
            }
        }
        return .success(response)
    }

    private static func connectFailure(_ code: Int32) -> Failure {
        Failure(message: "connect: \(String(cString: strerror(code)).lowercased())")
    }

    /// Waits until `fd` is ready for `events`; false when the deadline passed first.
    private static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return false }
            let milliseconds = Int32(clamping: remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1)
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let result = poll(&descriptor, 1, milliseconds)
            if result > 0 { return true }
            if result < 0 && errno != EINTR { return true }
        }
    }
}
