import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Enforces a deadline on libgit2's own socket transports (ssh://, git://).
///
/// libgit2 1.5 blocks in `recv` with no timeout, and its progress callbacks only run when data
/// arrives, so a silent server would hang the operation forever. At the deadline (or on
/// cancellation) the watchdog shuts down the sockets this operation opened to the remote's port,
/// which makes the blocked read fail at once; libgit2 then returns and the error is reported as a
/// timeout. Sockets that existed before the operation started are never touched: they are told
/// apart by inode, not by descriptor number, because other threads close descriptors and the
/// operation's own socket may reuse a number that belonged to one of them.
final class SocketWatchdog: @unchecked Sendable {
    private let context: OperationContext
    private let port: Int
    private let before: Set<UInt>
    private let done = DispatchSemaphore(value: 0)
    private let finished = NSLock()
    private var isFinished = false

    init(context: OperationContext, port: Int) {
        self.context = context
        self.port = port
        self.before = Set(SocketWatchdog.sockets().map(\.inode))
        Thread.detachNewThread { [self] in watch() }
    }

    /// Stops watching; call when the operation returns.
    func finish() {
        finished.lock()
        isFinished = true
        finished.unlock()
        done.signal()
    }

    private func watch() {
        // After the deadline, keep shutting the operation's sockets down until it returns: a
        // socket still connecting when the deadline passed has no peer to match yet.
        while done.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            guard context.shouldAbort else { continue }
            finished.lock()
            defer { finished.unlock() }
            if isFinished { return }
            for socket in SocketWatchdog.sockets() where !before.contains(socket.inode) && peerPort(socket.fd) == port {
                shutdown(socket.fd, Int32(SHUT_RDWR))
            }
        }
    }

    private func peerPort(_ fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) == 0 }
        }
        guard ok else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) } }
        case AF_INET6:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) } }
        default:
            return nil
        }
    }

    /// This process's sockets: descriptor and inode (which, unlike the descriptor number, no
    /// other socket ever had while this one lives).
    private static func sockets() -> [(fd: Int32, inode: UInt)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return [] }
        var result: [(fd: Int32, inode: UInt)] = []
        for name in names {
            guard let fd = Int32(name) else { continue }
            var info = stat()
            if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK { result.append((fd, UInt(info.st_ino))) }
        }
        return result
    }
}
