import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension ChildProcess {
    /// What a child run to completion did.
    public struct Completed: Sendable {
        /// The exit code, or 128 + the signal that killed it.
        public var status: Int32
        /// Standard output, at most the maximum asked for.
        public var standardOutput: [UInt8]
        /// The start of standard error.
        public var standardError: [UInt8]
        /// True when the deadline passed and the process group was killed.
        public var timedOut: Bool
        /// True when standard output was larger than the maximum (the process group was killed).
        public var outputTooLarge: Bool
    }

    /// Runs `executable` to completion: both output pipes drained with `poll(2)` on the calling
    /// thread, the process group killed at the deadline or when standard output grows past
    /// `maximumOutput`, and the child reaped on its own PID. Fails only when it cannot be started.
    /// `standardInput`, when given, overrides `inheritStandardInput` (a file's descriptor to read from,
    /// say, for a program that reads its data from standard input).
    ///
    /// Blocking: call it from a thread of its own or a dispatch queue, never from the cooperative
    /// thread pool.
    public static func run(
        _ executable: String, arguments: [String], environment: [String: String], directory: String? = nil,
        inheritStandardInput: Bool = false, standardInput: Stream? = nil, timeout: Duration, maximumOutput: Int,
        maximumErrorOutput: Int = 64 << 10
    ) throws(SpawnError) -> Completed {
        let out = try pipe()
        let err: (read: Int32, write: Int32)
        do {
            err = try pipe()
        } catch {
            close(out.read)
            close(out.write)
            throw error
        }
        let pid: pid_t
        do {
            pid = try spawn(
                executable, arguments: arguments, environment: environment, directory: directory,
                stdin: standardInput ?? (inheritStandardInput ? .inherit : .null), stdout: .descriptor(out.write), stderr: .descriptor(err.write))
        } catch {
            [out.read, out.write, err.read, err.write].forEach { close($0) }
            throw error
        }
        // Only the child may hold the write ends, or the reader would never see end-of-file.
        close(out.write)
        close(err.write)
        defer {
            close(out.read)
            close(err.read)
        }
        let deadline = ContinuousClock.now + timeout
        var completed = Completed(status: -1, standardOutput: [], standardError: [], timedOut: false, outputTooLarge: false)
        let drained = drain(out.read, err.read, until: deadline, maximumOutput: maximumOutput, maximumErrorOutput: maximumErrorOutput, into: &completed)
        if !drained || completed.outputTooLarge {
            completed.timedOut = !drained
            kill(-pid, SIGKILL)
        }
        completed.status = reap(pid, until: deadline, timedOut: &completed.timedOut)
        return completed
    }

    /// Reads both pipes until both reach end-of-file (true), standard output grows past its
    /// maximum (true, with `outputTooLarge`), or the deadline passes (false).
    private static func drain(
        _ outRead: Int32, _ errRead: Int32, until deadline: ContinuousClock.Instant, maximumOutput: Int, maximumErrorOutput: Int,
        into completed: inout Completed
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
                    let room = max(0, maximumOutput - completed.standardOutput.count)
                    completed.standardOutput.append(contentsOf: buffer[0..<min(count, room)])
                    if count > room {
                        completed.outputTooLarge = true
                        return true
                    }
                } else {
                    let room = max(0, maximumErrorOutput - completed.standardError.count)
                    completed.standardError.append(contentsOf: buffer[0..<min(count, room)])
                }
            }
        }
        return true
    }

    /// Waits for `pid` until the deadline, then kills its group and waits for it regardless.
    private static func reap(_ pid: pid_t, until deadline: ContinuousClock.Instant, timedOut: inout Bool) -> Int32 {
        if let code = waitForExit(pid, until: deadline) { return code }
        timedOut = true
        kill(-pid, SIGKILL)
        return waitForExit(pid)
    }

    /// Blocks until `pid` exits and reaps it: its exit code (``exitCode(waitStatus:)``), or -1 when
    /// it cannot be waited for (not a child of this process, or reaped already).
    public static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, 0)
            if result == pid { return exitCode(waitStatus: status) }
            if result < 0 && errno != EINTR { return -1 }
        }
    }

    /// Waits for `pid` to exit until `deadline`, polling at most 5 ms apart, and reaps it: its exit
    /// code, -1 when it cannot be waited for, nil when the deadline passed first (it still runs).
    public static func waitForExit(_ pid: pid_t, until deadline: ContinuousClock.Instant) -> Int32? {
        var status: Int32 = 0
        var delay: UInt32 = 1_000
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return exitCode(waitStatus: status) }
            if result < 0 && errno != EINTR { return -1 }
            if ContinuousClock.now >= deadline { return nil }
            usleep(delay)
            delay = min(delay * 2, 5_000)
        }
    }
}
