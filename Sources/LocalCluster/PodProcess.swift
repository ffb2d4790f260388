import Foundation
import ProcessSpawn
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A container's process, run locally with `--run-pods`.
///
/// The process gets its own process group, so ``terminate(grace:)`` reaches everything it
/// started. Its stdout and stderr share one pipe; a dedicated thread per process reads that pipe
/// and then reaps the child, so nothing blocks Swift's cooperative thread pool.
final class PodProcess: Sendable {
    /// What to run and where.
    struct Launch: Sendable {
        /// The argv; `arguments[0]` is looked up on `environment["PATH"]` when it has no `/`.
        var arguments: [String]
        /// The child's whole environment: nothing is inherited from this process.
        var environment: [String: String]
        /// The child's working directory, created if missing.
        var workingDirectory: URL
    }

    /// A process that could not be started; the message names the program and the reason, in
    /// the container runtime's words (`exec: "foo": executable file not found in $PATH`).
    struct StartError: Error, Sendable, CustomStringConvertible {
        /// What failed and why.
        var message: String
        var description: String { message }
    }

    /// The child's process ID, which is also its process group ID.
    let processID: Int32
    /// Whether the child was reaped. Signals are only sent while it is false, under the lock,
    /// because after reaping the PID (and so the process group ID) may belong to someone else.
    private let reaped = Mutex(false)

    private init(processID: Int32) {
        self.processID = processID
    }

    /// Starts the process in its own process group, stdin from `/dev/null`, stdout and stderr
    /// both into one pipe.
    ///
    /// `output` is called from a background thread with each chunk read; `exit` once with the
    /// exit code after all output was delivered: a normal exit's status, or 128 + the signal
    /// number when killed by a signal. Throws ``StartError`` when the program cannot be started.
    static func start(
        _ launch: Launch, output: @escaping @Sendable ([UInt8]) -> Void, exit: @escaping @Sendable (Int32) -> Void
    ) throws -> PodProcess {
        guard let program = launch.arguments.first, !program.isEmpty else {
            throw StartError(message: "exec: no command")
        }
        let directory = launch.workingDirectory.path
        do {
            try FileManager.default.createDirectory(at: launch.workingDirectory, withIntermediateDirectories: true)
        } catch {
            throw StartError(message: "exec: \"\(program)\": cannot create working directory \(directory): \(error.localizedDescription)")
        }
        let executable = try resolve(program, searchPath: launch.environment["PATH"], workingDirectory: directory)
        // Close-on-exec from the start, so children spawned concurrently never hold this pipe.
        let readEnd: Int32
        let writeEnd: Int32
        do {
            (readEnd, writeEnd) = try ChildProcess.pipe()
        } catch {
            throw StartError(message: "exec: \"\(program)\": cannot create output pipe: \(error)")
        }
        let pid: pid_t
        do {
            pid = try spawn(executable, launch, directory: directory, outputTo: writeEnd)
        } catch {
            close(readEnd)
            close(writeEnd)
            throw error
        }
        // Only the child may hold the write end, or the reader would never see end-of-file.
        close(writeEnd)
        let process = PodProcess(processID: pid)
        let thread = Thread { process.drainAndReap(readEnd, output: output, exit: exit) }
        thread.name = "PodProcess \(pid)"
        thread.start()
        return process
    }

    /// Sends SIGTERM to the whole process group, then SIGKILL after `grace` if the child has not
    /// been reaped by then. Returns at once.
    func terminate(grace: Duration) {
        guard signalGroup(SIGTERM) else { return }
        Task { [self] in
            try? await Task.sleep(for: grace)
            _ = signalGroup(SIGKILL)
        }
    }

    /// Signals the process group unless the child was reaped; returns whether it was sent.
    private func signalGroup(_ signal: Int32) -> Bool {
        reaped.withLock { reaped in
            guard !reaped else { return false }
            // An unreaped child, even a zombie, keeps its PID and process group ID reserved.
            return killpg(processID, signal) == 0
        }
    }

    /// Reads the pipe to end-of-file, reaps the child and reports its exit code.
    private func drainAndReap(_ readEnd: Int32, output: @Sendable ([UInt8]) -> Void, exit: @Sendable (Int32) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count > 0 {
                output(Array(buffer[0..<count]))
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        close(readEnd)
        // Wait without reaping first: a child that closed its output may run on for a long time,
        // and terminate(grace:) must not wait for the lock meanwhile.
        var info = siginfo_t()
        while waitid(P_PID, id_t(processID), &info, WEXITED | WNOWAIT) == -1 && errno == EINTR {}
        let status = reaped.withLock { reaped -> Int32? in
            var status: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(processID, &status, 0) } while result == -1 && errno == EINTR
            reaped = true
            return result == processID ? status : nil
        }
        // Without a status (someone else reaped the child), report the generic failure code.
        exit(status.map(Self.exitCode(waitStatus:)) ?? 255)
    }

    /// The exit code for a `waitpid` status: the exit status, or 128 + the terminating signal.
    static func exitCode(waitStatus status: Int32) -> Int32 {
        ChildProcess.exitCode(waitStatus: status)
    }

    /// The path to execute: `program` itself when it has a `/` (relative to the working
    /// directory), else the first executable regular file named `program` on `searchPath`.
    static func resolve(_ program: String, searchPath: String?, workingDirectory: String) throws -> String {
        if program.contains("/") { return program }
        for entry in (searchPath ?? "").split(separator: ":") {
            let directory = entry.hasPrefix("/") ? String(entry) : "\(workingDirectory)/\(entry)"
            let candidate = "\(directory)/\(program)"
            var info = stat()
            if stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        throw StartError(message: "exec: \"\(program)\": executable file not found in $PATH")
    }

    /// Spawns `executable` with the launch's arguments and environment in `directory`, stdin from
    /// `/dev/null`, stdout and stderr into `writeEnd`.
    private static func spawn(_ executable: String, _ launch: Launch, directory: String, outputTo writeEnd: Int32) throws -> pid_t {
        let program = launch.arguments[0]
        let entries = launch.environment.map { "\($0.key)=\($0.value)" }
        if let bad = (launch.arguments + entries + [directory]).first(where: { $0.utf8.contains(0) }) {
            throw StartError(message: "exec: \"\(program)\": invalid argument: \(bad.debugDescription) contains a NUL byte")
        }
        do {
            return try ChildProcess.spawn(
                executable, arguments: launch.arguments, environment: launch.environment, directory: directory,
                stdin: .null, stdout: .descriptor(writeEnd), stderr: .descriptor(writeEnd))
        } catch {
            throw StartError(message: error.step == "posix_spawn" ? "exec: \"\(program)\": \(error.reason)" : "exec: \"\(program)\": cannot prepare posix_spawn: \(error)")
        }
    }
}
