import Foundation

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

    /// Spawns `path` with `arguments`; `directory` is entered through `/bin/sh` when given.
    static func start(
        _ path: String, _ arguments: [String], environment: [String: String],
        directory: URL?, stdin: Stream, stdout: Stream, stderr: Stream
    ) throws -> pid_t {
        var argv = [path] + arguments
        var executable = path
        if let directory {
            executable = "/bin/sh"
            argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory.path] + argv
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, stream) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch stream {
            case .null:
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
            case .file(let file):
                posix_spawn_file_actions_addopen(&actions, fd, file, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            case .descriptor(let source):
                posix_spawn_file_actions_adddup2(&actions, source, fd)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        let cEnvironment: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var pid: pid_t = 0
        spawnLock.lock()
        defer { spawnLock.unlock() }
        let code = posix_spawn(&pid, executable, &actions, &attributes, cArguments, cEnvironment)
        guard code == 0 else {
            throw TestSupportError(.commandFailed, "cannot start \(path): \(String(cString: strerror(code)))")
        }
        return pid
    }

    /// A pipe whose ends are close-on-exec, so that no other child spawned meanwhile inherits
    /// them and holds them open (which would keep readers from ever seeing end-of-file).
    static func pipe() throws -> (read: FileHandle, write: FileHandle) {
        var fds: [Int32] = [0, 0]
        // pipe2 is not visible from Swift's Glibc; the spawn lock keeps any spawn from
        // happening between pipe() and marking the ends close-on-exec.
        spawnLock.lock()
        defer { spawnLock.unlock() }
        guard Glibc.pipe(&fds) == 0 else {
            throw TestSupportError(.systemCall, "pipe failed: \(String(cString: strerror(errno)))")
        }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return (FileHandle(fileDescriptor: fds[0], closeOnDealloc: true), FileHandle(fileDescriptor: fds[1], closeOnDealloc: true))
    }

    /// The exit code (128 + signal when killed) if `pid` has exited; reaps it. Nil while running.
    static func poll(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { return decode(status) }
        if result < 0 { return errno == ECHILD ? -1 : nil }
        return nil
    }

    /// Waits for `pid` to exit, up to `deadline`; nil when the deadline passed first.
    static func wait(_ pid: pid_t, until deadline: ContinuousClock.Instant?) -> Int32? {
        var delay: UInt32 = 1_000
        while true {
            if let code = poll(pid) { return code }
            if let deadline, ContinuousClock.now >= deadline { return nil }
            usleep(delay)
            delay = min(delay * 2, 20_000)
        }
    }

    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
