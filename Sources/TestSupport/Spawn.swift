import Foundation
import ProcessSpawn

#if canImport(Glibc)
import Glibc
#endif

/// Starts child processes with posix_spawn and reaps them with waitpid on their own PID.
///
/// Foundation's `Process` on Linux reaps children from a monitor thread and was seen both to
/// lose exits (once `sshd` had been started) and to crash in `run()` when tests start processes
/// from several threads at once. Here each child is owned by exactly one waiter. Children get
/// an empty signal mask and default dispositions (Dispatch's threads block SIGTERM, which a
/// server would otherwise inherit and ignore), and lead their own process group so a whole tree
/// can be killed.
enum Spawn {
    private static let spawnLock = NSLock()

    /// Where a child's standard stream goes.
    enum Stream {
        case null
        case file(String)
        case descriptor(Int32)
    }

    /// Spawns `path` with `arguments` in `directory` when given (see ``ChildProcess``).
    static func start(
        _ path: String, _ arguments: [String], environment: [String: String],
        directory: URL?, stdin: Stream, stdout: Stream, stderr: Stream
    ) throws -> pid_t {
        func stream(_ stream: Stream) -> ChildProcess.Stream {
            switch stream {
            case .null: return .null
            case .file(let file): return .file(file)
            case .descriptor(let descriptor): return .descriptor(descriptor)
            }
        }
        spawnLock.lock()
        defer { spawnLock.unlock() }
        do {
            return try ChildProcess.spawn(
                path, arguments: [path] + arguments, environment: environment, directory: directory?.path,
                stdin: stream(stdin), stdout: stream(stdout), stderr: stream(stderr))
        } catch {
            throw TestSupportError(.commandFailed, "cannot start \(path): \(error.reason)")
        }
    }

    /// A pipe whose ends are close-on-exec, so that no other child spawned meanwhile inherits
    /// them and holds them open (which would keep readers from ever seeing end-of-file).
    static func pipe() throws -> (read: FileHandle, write: FileHandle) {
        do {
            let ends = try ChildProcess.pipe()
            return (FileHandle(fileDescriptor: ends.read, closeOnDealloc: true), FileHandle(fileDescriptor: ends.write, closeOnDealloc: true))
        } catch {
            throw TestSupportError(.systemCall, "cannot create a pipe: \(error)")
        }
    }

    /// The exit code (128 + signal when killed) if `pid` has exited; reaps it. Nil while running.
    static func poll(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { return ChildProcess.exitCode(waitStatus: status) }
        if result < 0 { return errno == ECHILD ? -1 : nil }
        return nil
    }

    /// Waits for `pid` to exit, up to `deadline`; nil when the deadline passed first. Without a
    /// deadline it blocks in `waitpid`, so a benchmark's timing ends when the child does.
    static func wait(_ pid: pid_t, until deadline: ContinuousClock.Instant?) -> Int32? {
        guard let deadline else { return ChildProcess.waitForExit(pid) }
        return ChildProcess.waitForExit(pid, until: deadline)
    }
}
