import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exit detection that does not depend on Foundation noticing.
///
/// On Linux, once `sshd` has been started from a test process, Foundation's `Process` can miss
/// the exit of later children (they stay zombies and `terminationHandler` never runs). The
/// fixtures therefore also look at the child directly and reap it themselves when Foundation
/// has not within a short grace period.
enum ChildExit {
    /// True when `pid` has exited (a zombie) or no longer exists.
    static func hasExited(_ pid: Int32) -> Bool {
        #if os(Linux)
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
            return true
        }
        // The state follows the parenthesised command name, which may itself contain spaces.
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state == "Z" || state == "X"
        #else
        return kill(pid, 0) != 0
        #endif
    }

    /// Reaps `pid` if it has exited; returns its exit code (128 + signal when killed).
    static func reap(_ pid: Int32) -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return nil }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Waits until `exited` is signalled (Foundation saw the exit; returns nil) or the child has
    /// been a zombie for `grace` (reaps it; returns its exit code), or `deadline` passes
    /// (throws nothing: returns `.timedOut`).
    enum Outcome {
        case foundation
        case reaped(Int32)
        case timedOut
    }

    static func wait(
        pid: Int32, exited: DispatchSemaphore, deadline: ContinuousClock.Instant?,
        grace: Duration = .milliseconds(200)
    ) -> Outcome {
        let clock = ContinuousClock()
        var zombieSince: ContinuousClock.Instant?
        while true {
            if exited.wait(timeout: .now() + .milliseconds(10)) == .success { return .foundation }
            if hasExited(pid) {
                let since = zombieSince ?? clock.now
                zombieSince = since
                if clock.now - since >= grace {
                    if exited.wait(timeout: .now()) == .success { return .foundation }
                    return .reaped(reap(pid) ?? 255)
                }
            }
            if let deadline, clock.now >= deadline { return .timedOut }
        }
    }
}
