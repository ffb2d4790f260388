import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A long-running child process (a server), stopped by PID on `stop()` and on deinit.
///
/// Standard output and standard error both go to `logFile`, so a chatty server never blocks on a
/// full pipe and its messages can be quoted when it fails to start.
public final class BackgroundProcess: @unchecked Sendable {
    /// The executable and its arguments.
    public let command: [String]
    /// The process id; the process also leads its own process group.
    public let pid: Int32
    /// Where standard output and standard error are written.
    public let logFile: URL
    private var exitCode: Int32?
    private let exitLock = NSLock()
    private let lock = NSLock()
    private var stopped = false

    /// Starts `executable` (a path or a name in `PATH`) with `arguments`; its standard input is
    /// `/dev/null`, or a descriptor of this process to inherit (a listening socket, say).
    public init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        unsetting: [String] = [],
        currentDirectory: URL? = nil,
        standardInput: Int32? = nil,
        logFile: URL
    ) throws {
        let path = try ProcessRunner.resolveExecutable(executable)
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        self.pid = try Spawn.start(
            path, arguments,
            environment: ProcessRunner.makeEnvironment(environment, inherit: true, unsetting: unsetting),
            directory: currentDirectory, stdin: standardInput.map { .descriptor($0) } ?? .null, stdout: .file(logFile.path), stderr: .file(logFile.path))
        self.command = [executable] + arguments
        self.logFile = logFile
    }

    deinit { stop() }

    /// Whether the process is still running.
    public var isRunning: Bool {
        exitLock.lock()
        defer { exitLock.unlock() }
        if exitCode != nil { return false }
        if let code = Spawn.poll(pid) {
            exitCode = code
            return false
        }
        return true
    }

    /// Everything the process has printed so far.
    public func log() -> String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// Sends SIGTERM to the process group, waits up to `grace` for it to exit, then SIGKILL.
    /// Safe to call more than once.
    public func stop(grace: Duration = .seconds(5)) {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        guard isRunning else { return }
        ProcessRunner.killProcessGroup(pid, signal: SIGTERM)
        if !waitForExit(within: grace) {
            ProcessRunner.killProcessGroup(pid, signal: SIGKILL)
            _ = waitForExit(within: .seconds(5))
        }
    }

    /// Blocks until the process exits or `timeout` passes; true when it exited.
    public func waitForExit(within timeout: Duration) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while isRunning {
            if clock.now >= deadline { return false }
            usleep(5_000)
        }
        return true
    }
}
