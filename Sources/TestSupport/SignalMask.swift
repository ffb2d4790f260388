import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Children inherit the spawning thread's signal mask, and Dispatch's worker threads block
/// SIGTERM and friends; a server started from an async test would then ignore SIGTERM. Spawning
/// with an empty mask gives children the default behaviour.
enum SignalMask {
    static func withDefaultMask<T>(_ body: () throws -> T) rethrows -> T {
        var empty = sigset_t()
        var previous = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return try body()
    }
}
