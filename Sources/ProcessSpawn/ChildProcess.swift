import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starting child processes the one way Sluice does it (exec credential plugins, LocalCluster's
/// pods, the test fixtures' servers): `posix_spawn`, in a process group of their own so a whole
/// tree can be signalled, with no signal blocked and every disposition back to its default
/// (Dispatch's threads block some signals and this process ignores SIGPIPE; a child must do
/// neither), no inherited descriptor beyond its three streams, and close-on-exec pipes, so that a
/// child started meanwhile never holds another one's pipe open.
///
/// The caller reaps the child with `waitpid` on its own PID (``exitCode(waitStatus:)`` decodes
/// the status), so no exit is ever lost to another reaper.
public enum ChildProcess {
    /// Where one of the child's standard streams goes.
    public enum Stream: Sendable {
        /// `/dev/null`.
        case null
        /// The parent's own stream.
        case inherit
        /// A file, created when missing and appended to.
        case file(String)
        /// A descriptor of the parent (a pipe's end).
        case descriptor(Int32)
    }

    /// Why a child could not be started: the step and the `errno` value.
    public struct SpawnError: Error, Sendable, CustomStringConvertible {
        /// What failed: `posix_spawn`, `chdir`, `pipe`, ...
        public var step: String
        /// The `errno` value.
        public var code: Int32

        /// The system's words for ``code``, lower-cased as Go and kubectl print them:
        /// `no such file or directory`.
        public var reason: String { ChildProcess.errorText(code) }

        /// `STEP: REASON`.
        public var description: String { "\(step): \(reason)" }
    }

    /// Starts `executable` with `arguments` (the first is the program's own name, `argv[0]`) and
    /// exactly `environment`, in `directory` when given; returns its PID.
    public static func spawn(
        _ executable: String, arguments: [String], environment: [String: String], directory: String? = nil,
        stdin: Stream = .null, stdout: Stream = .null, stderr: Stream = .null
    ) throws(SpawnError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        func check(_ result: Int32, _ step: String) throws(SpawnError) {
            if result != 0 { throw SpawnError(step: step, code: result) }
        }
        for (descriptor, stream) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch stream {
            case .inherit:
                break
            case .null:
                try check(
                    posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0),
                    "open /dev/null")
            case .file(let path):
                try check(posix_spawn_file_actions_addopen(&actions, descriptor, path, O_WRONLY | O_CREAT | O_APPEND, 0o644), "open \(path)")
            case .descriptor(let source):
                try check(posix_spawn_file_actions_adddup2(&actions, source, descriptor), "dup2")
            }
        }
        // Descriptors another part of this process opened without O_CLOEXEC must not leak in.
        if let addClosefrom = GlibcExtensions.addClosefrom { try check(addClosefrom(&actions, 3), "closefrom") }
        if let directory {
            guard let addChdir = GlibcExtensions.addChdir else {
                throw SpawnError(step: "chdir (posix_spawn_file_actions_addchdir_np needs glibc 2.29 or later)", code: ENOSYS)
            }
            try check(addChdir(&actions, directory), "chdir \(directory)")
        }
        try check(posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)), "setflags")
        try check(posix_spawnattr_setpgroup(&attributes, 0), "setpgroup")
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        try check(posix_spawnattr_setsigmask(&attributes, &noSignals), "setsigmask")
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        try check(posix_spawnattr_setsigdefault(&attributes, &allSignals), "setsigdefault")

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        var code = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        // ETXTBSY: a program just written may still be open for writing in a process another thread
        // forked meanwhile; that goes away at the child's exec. Go's os/exec retries too.
        var retries = 0
        while code == ETXTBSY && retries < 20 {
            retries += 1
            usleep(20_000)
            code = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        }
        try check(code, "posix_spawn")
        return pid
    }

    /// A pipe whose both ends are close-on-exec from the start: `(read, write)`.
    public static func pipe() throws(SpawnError) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard let pipe2 = GlibcExtensions.pipe2 else { throw SpawnError(step: "pipe2 (missing from the C library)", code: ENOSYS) }
        guard pipe2(&ends, O_CLOEXEC) == 0 else { throw SpawnError(step: "pipe", code: errno) }
        return (ends[0], ends[1])
    }

    /// The exit code of a `waitpid` status: a normal exit's status, or 128 + the signal that killed it.
    public static func exitCode(waitStatus status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// The text for an `errno` value, like "no such file or directory".
    public static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        let message = String(cString: text)
        return message.prefix(1).lowercased() + message.dropFirst()
    }
}

/// glibc functions that the Glibc module does not import (they need `_GNU_SOURCE`), looked up
/// once at run time.
enum GlibcExtensions {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// `pipe2`, glibc 2.9 and later.
    static let pipe2: Pipe2? = symbol("pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
    /// `posix_spawn_file_actions_addchdir_np`, glibc 2.29 and later.
    static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddChdir.self) }
    /// `posix_spawn_file_actions_addclosefrom_np`, glibc 2.34 and later.
    static let addClosefrom: AddClosefrom? = symbol("posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddClosefrom.self)
    }

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        // The handle of the program itself searches every loaded library, libc included.
        guard let handle = dlopen(nil, RTLD_NOW) else { return nil }
        return dlsym(handle, name)
    }
}
