import Foundation
import ProcessSpawn

#if canImport(Glibc)
import Glibc
#endif

/// Runs one exec credential plugin to completion: `posix_spawn` in its own process group, both
/// output pipes drained with `poll(2)` on the calling thread, and the group killed at a deadline.
///
/// Blocking: call it from a dispatch queue, never from the cooperative thread pool. Each child is
/// reaped with `waitpid` on its own PID, so it cannot lose an exit to another reaper.
enum ExecCredentialProcess {
    /// What the plugin did.
    struct Output: Sendable {
        /// The exit status, or 128 + the signal that killed it.
        var status: Int32
        /// Standard output (the `ExecCredential` JSON).
        var standardOutput: [UInt8]
        /// The start of standard error, as text.
        var standardError: String
        /// True when the deadline passed and the process group was killed.
        var timedOut: Bool
        /// True when standard output was larger than ``maximumOutput`` (and was cut).
        var outputTooLarge: Bool
    }

    /// Standard output beyond this is not an `ExecCredential`.
    static let maximumOutput = 4 << 20
    /// How much of standard error is kept for messages.
    static let maximumErrorText = 8 << 10

    /// The executable `command` names: itself when it contains a `/`, otherwise the first
    /// executable file of that name in `searchPath` (a colon-separated `PATH`).
    static func locate(_ command: String, searchPath: String?) -> String? {
        if command.contains("/") { return access(command, X_OK) == 0 ? command : nil }
        for directory in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(command)"
            if KubeConfigFileSystem.isFile(candidate), access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Runs `executable` and waits for it; fails only when it cannot be started.
    static func run(
        executable: String, arguments: [String], environment: [String: String], inheritStandardInput: Bool,
        timeout: Duration
    ) -> Result<Output, KubeConfigFileSystem.Problem> {
        let outPipe: (read: Int32, write: Int32)
        let errPipe: (read: Int32, write: Int32)
        do {
            outPipe = try ChildProcess.pipe()
        } catch {
            return .failure(problem(error.code))
        }
        do {
            errPipe = try ChildProcess.pipe()
        } catch {
            close(outPipe.read)
            close(outPipe.write)
            return .failure(problem(error.code))
        }
        let started = spawn(executable, arguments, environment, inheritStandardInput, outPipe.write, errPipe.write)
        close(outPipe.write)
        close(errPipe.write)
        defer {
            close(outPipe.read)
            close(errPipe.read)
        }
        let pid: pid_t
        switch started {
        case .failure(let failure): return .failure(failure)
        case .success(let child): pid = child
        }
        let deadline = ContinuousClock.now + timeout
        var output = Output(status: -1, standardOutput: [], standardError: "", timedOut: false, outputTooLarge: false)
        var errorBytes: [UInt8] = []
        output.timedOut = !drain(outPipe.read, errPipe.read, until: deadline, into: &output, errorBytes: &errorBytes)
        output.standardError = String(decoding: errorBytes, as: UTF8.self)
        if output.timedOut { kill(-pid, SIGKILL) }
        output.status = reap(pid, until: deadline, timedOut: &output.timedOut)
        return .success(output)
    }

    private static func spawn(
        _ executable: String, _ arguments: [String], _ environment: [String: String], _ inheritStandardInput: Bool,
        _ outWrite: Int32, _ errWrite: Int32
    ) -> Result<pid_t, KubeConfigFileSystem.Problem> {
        do {
            // In a group of its own, so a timeout can kill the plugin's children too.
            return .success(
                try ChildProcess.spawn(
                    executable, arguments: [executable] + arguments, environment: environment,
                    stdin: inheritStandardInput ? .inherit : .null, stdout: .descriptor(outWrite), stderr: .descriptor(errWrite)))
        } catch {
            return .failure(problem(error.code))
        }
    }

    /// Reads both pipes until both reach end-of-file (true) or the deadline passes (false).
    private static func drain(
        _ outRead: Int32, _ errRead: Int32, until deadline: ContinuousClock.Instant, into output: inout Output,
        errorBytes: inout [UInt8]
    ) -> Bool {
        var open = [true, true]
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while open[0] || open[1] {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return false }
            let milliseconds = Int32(clamping: remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1)
            var descriptors = [
                pollfd(fd: open[0] ? outRead : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: open[1] ? errRead : -1, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, 2, milliseconds)
            if ready < 0 && errno != EINTR { return false }
            for index in 0..<2 where open[index] && descriptors[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(descriptors[index].fd, $0.baseAddress, $0.count) }
                if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                guard count > 0 else {
                    open[index] = false
                    continue
                }
                if index == 0 {
                    let room = max(0, maximumOutput - output.standardOutput.count)
                    if count > room { output.outputTooLarge = true }
                    output.standardOutput.append(contentsOf: buffer[0..<min(count, room)])
                } else {
                    let room = max(0, maximumErrorText - errorBytes.count)
                    errorBytes.append(contentsOf: buffer[0..<min(count, room)])
                }
            }
        }
        return true
    }

    /// Waits for `pid` until the deadline, then kills its group and waits for it regardless.
    private static func reap(_ pid: pid_t, until deadline: ContinuousClock.Instant, timedOut: inout Bool) -> Int32 {
        var status: Int32 = 0
        var delay: UInt32 = 1_000
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return ChildProcess.exitCode(waitStatus: status) }
            if result < 0 && errno != EINTR { return -1 }
            if ContinuousClock.now >= deadline {
                timedOut = true
                kill(-pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return ChildProcess.exitCode(waitStatus: status)
            }
            usleep(delay)
            delay = min(delay * 2, 20_000)
        }
    }

    private static func problem(_ code: Int32) -> KubeConfigFileSystem.Problem {
        KubeConfigFileSystem.Problem(reason: String(cString: strerror(code)), isMissing: code == ENOENT)
    }
}
