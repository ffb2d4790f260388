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
/// timeout. Sockets that existed before the operation started are never touched.
final class SocketWatchdog: @unchecked Sendable {
    private let context: OperationContext
    private let port: Int
    private let before: Set<Int32>
    private let done = DispatchSemaphore(value: 0)
    private let finished = NSLock()
    private var isFinished = false

    init(context: OperationContext, port: Int) {
        self.context = context
        self.port = port
        self.before = SocketWatchdog.socketDescriptors()
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
        while done.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            if context.shouldAbort {
                finished.lock()
                defer { finished.unlock() }
                if isFinished { return }
                for fd in SocketWatchdog.socketDescriptors().subtracting(before) where peerPort(fd) == port {
                    shutdown(fd, Int32(SHUT_RDWR))
                }
                return
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

    private static func socketDescriptors() -> Set<Int32> {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return [] }
        var result = Set<Int32>()
        for name in names {
            guard let fd = Int32(name) else { continue }
            var info = stat()
            if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK { result.insert(fd) }
        }
        return result
    }
}
