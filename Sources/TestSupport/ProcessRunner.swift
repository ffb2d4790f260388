import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a command to completion and captures its output.
///
/// Children run in their own process group (see ``Spawn``); on a timeout
/// the whole group is killed, so helpers the command started (`git-remote-http`, `ssh`) die too.
public enum ProcessRunner {
    /// Runs `executable` (a path, or a name looked up in `PATH`) with `arguments`.
    ///
    /// - Parameters:
    ///   - environment: variables set on top of the inherited environment (or on an empty one).
    ///   - inheritEnvironment: start from this process's environment.
    ///   - unsetting: variables removed from the environment before `environment` is applied.
    ///   - currentDirectory: the working directory, or this process's.
    ///   - input: bytes written to standard input, which is otherwise `/dev/null`.
    ///   - timeout: kill the process group when it runs longer; the result has `timedOut`.
    ///   - check: throw ``TestSupportError`` (with stderr) unless the command succeeded.
    @discardableResult
    public static func run(
        _ executable: String,
        _ arguments: [String] = [],
        environment: [String: String] = [:],
        inheritEnvironment: Bool = true,
        unsetting: [String] = [],
        currentDirectory: URL? = nil,
        input: Data? = nil,
        timeout: Duration? = nil,
        check: Bool = false
    ) throws -> ProcessResult {
        let path = try resolveExecutable(executable)
        let env = makeEnvironment(environment, inherit: inheritEnvironment, unsetting: unsetting)
        let outPipe = try Spawn.pipe()
        let errPipe = try Spawn.pipe()
        let inPipe = try Spawn.pipe()
        let pid = try Spawn.start(
            path, arguments, environment: env, directory: currentDirectory,
            stdin: input == nil ? .null : .descriptor(inPipe.read.fileDescriptor),
            stdout: .descriptor(outPipe.write.fileDescriptor),
            stderr: .descriptor(errPipe.write.fileDescriptor))
        // The child has its copies; ours must close so the readers see end-of-file.
        try? outPipe.write.close()
        try? errPipe.write.close()
        try? inPipe.read.close()

        let readers = DispatchGroup()
        let out = DataCollector()
        let err = DataCollector()
        out.collect(from: outPipe.read, group: readers)
        err.collect(from: errPipe.read, group: readers)
        if let input {
            // A child that exits without reading its input must not kill this process with SIGPIPE:
            // the write then fails with EPIPE, which is ignored.
            signal(SIGPIPE, SIG_IGN)
            let writer = inPipe.write
            Thread.detachNewThread {
                try? writer.write(contentsOf: input)
                try? writer.close()
            }
        } else {
            try? inPipe.write.close()
        }

        var timedOut = false
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var status = Spawn.wait(pid, until: deadline)
        if status == nil {
            timedOut = true
            killProcessGroup(pid, signal: SIGKILL)
            status = Spawn.wait(pid, until: nil)
        }
        // A grandchild that left the process group could keep the pipes open; don't wait forever.
        if readers.wait(timeout: .now() + 5) == .timedOut {
            try? outPipe.read.close()
            try? errPipe.read.close()
        }
        let exitCode = status ?? -1

        let result = ProcessResult(
            command: [executable] + arguments, exitCode: exitCode,
            stdout: out.data, stderr: err.data, timedOut: timedOut)
        if check { try result.check() }
        return result
    }

    /// Like ``run(_:_:environment:inheritEnvironment:unsetting:currentDirectory:input:timeout:check:)``
    /// but waits on a thread of its own, so it never blocks Swift's cooperative thread pool. Not a
    /// dispatch queue: on Linux Swift's global executor runs on dispatch's global queues, so work
    /// that blocks there (a kubectl that waits for a minute) starves every task of the process
    /// until dispatch notices and adds threads, seconds later.
    @discardableResult
    public static func runAsync(
        _ executable: String,
        _ arguments: [String] = [],
        environment: [String: String] = [:],
        inheritEnvironment: Bool = true,
        unsetting: [String] = [],
        currentDirectory: URL? = nil,
        input: Data? = nil,
        timeout: Duration? = nil,
        check: Bool = false
    ) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        try run(
                            executable, arguments, environment: environment,
                            inheritEnvironment: inheritEnvironment, unsetting: unsetting,
                            currentDirectory: currentDirectory, input: input, timeout: timeout,
                            check: check)
                    })
            }
        }
    }

    /// The absolute path of `name`: returned as is when it contains a slash, else found in `PATH`.
    public static func resolveExecutable(_ name: String) throws -> String {
        if name.contains("/") { return name }
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in searchPath.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestSupportError(.notFound, "\(name) is not in PATH (\(searchPath))")
    }

    /// Sends `signal` to the process group led by `pid`, and to `pid` itself.
    public static func killProcessGroup(_ pid: Int32, signal: Int32) {
        guard pid > 0 else { return }
        _ = kill(-pid, signal)
        _ = kill(pid, signal)
    }

    static func makeEnvironment(
        _ overrides: [String: String], inherit: Bool, unsetting: [String]
    ) -> [String: String] {
        var environment = inherit ? ProcessInfo.processInfo.environment : [:]
        for name in unsetting { environment.removeValue(forKey: name) }
        environment.merge(overrides) { _, new in new }
        return environment
    }
}

/// Accumulates what a reader thread reads from a pipe.
final class DataCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = Data()

    var data: Data {
        lock.lock()
        defer { lock.unlock() }
        return buffer
    }

    func collect(from handle: FileHandle, group: DispatchGroup) {
        group.enter()
        Thread.detachNewThread {
            let bytes = (try? handle.readToEnd()) ?? Data()
            self.lock.lock()
            self.buffer.append(bytes)
            self.lock.unlock()
            group.leave()
        }
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    var dispatchInterval: DispatchTimeInterval {
        .nanoseconds(Int(min(seconds * 1e9, Double(Int.max / 2))))
    }
}
