import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Children inherit the spawning thread's signal mask, and Dispatch's worker threads block
/// SIGTERM and friends; a server started from an async test would then ignore SIGTERM.
///
/// Only the stop signals are unblocked around the spawn: SIGCHLD must stay blocked on this
/// thread, or a child that exits at once can have its SIGCHLD delivered here and lost, and
/// Foundation never notices the exit.
enum SignalMask {
    static let stopSignals: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT]

    static func withStopSignalsUnblocked<T>(_ body: () throws -> T) rethrows -> T {
        var unblock = sigset_t()
        var previous = sigset_t()
        sigemptyset(&unblock)
        for signal in stopSignals { sigaddset(&unblock, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return try body()
    }
}
