import Foundation

/// Runs Kustomize (`kubectl kustomize DIR` by default) on one directory and returns what it prints.
///
/// The call blocks until Kustomize exits or its time is up; run loads off the cooperative thread
/// pool. Output beyond `maxBytes` stops the process.
struct KustomizeRenderer {
    /// Why a rendering failed, as a message for a ``ManifestError/Problem``.
    struct Failure: Error {
        var code: ManifestError.Problem.Code
        var message: String
    }

    var command: [String]
    var timeout: Duration

    /// The rendered YAML stream of `directory`, at most `maxBytes` long.
    func render(directory: URL, maxBytes: Int) throws(Failure) -> [UInt8] {
        guard let program = command.first, let executable = Self.locate(program) else {
            throw Failure(
                code: .kustomizeFailed,
                message: "cannot run Kustomize: \(command.first ?? "(no command)") was not found on PATH "
                    + "(install kubectl, or set the Kustomize command)")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = Array(command.dropFirst()) + [directory.path]
        process.currentDirectoryURL = directory
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw Failure(code: .kustomizeFailed, message: "cannot run \(executable.path): \(error.localizedDescription)")
        }
        let watchdog = Watchdog(process: process, timeout: timeout)
        let errorText = PipeCollector(handle: errors.fileHandleForReading, limit: 64 << 10)
        var bytes: [UInt8] = []
        var tooLarge = false
        let reader = output.fileHandleForReading
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            bytes.append(contentsOf: chunk)
            if bytes.count > maxBytes {
                tooLarge = true
                process.terminate()
                break
            }
        }
        process.waitUntilExit()
        let timedOut = watchdog.finish()
        let stderr = errorText.finish()
        if tooLarge {
            throw Failure(code: .limitExceeded, message: "Kustomize output is larger than \(maxBytes) bytes")
        }
        if timedOut {
            throw Failure(code: .kustomizeFailed, message: "Kustomize did not finish within \(timeout) and was stopped")
        }
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let detail = stderr.isEmpty ? "no error output" : stderr
            throw Failure(code: .kustomizeFailed, message: "Kustomize failed (exit status \(process.terminationStatus)): \(detail)")
        }
        return bytes
    }

    /// The executable for `program`: the path itself when it contains `/`, else the first match on `PATH`.
    static func locate(_ program: String) -> URL? {
        let manager = FileManager.default
        if program.contains("/") {
            return manager.isExecutableFile(atPath: program) ? URL(fileURLWithPath: program) : nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = String(directory) + "/" + program
            if manager.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        return nil
    }
}

/// Stops a process that runs longer than its time.
private final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var fired = false
    private var work: DispatchWorkItem?

    init(process: Process, timeout: Duration) {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let work = DispatchWorkItem { [weak self, weak process] in
            guard let self, let process else { return }
            self.lock.lock()
            defer { self.lock.unlock() }
            guard process.isRunning else { return }
            self.fired = true
            process.terminate()
        }
        self.work = work
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: work)
    }

    /// Disarms the watchdog; true when it had stopped the process.
    func finish() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        work?.cancel()
        work = nil
        return fired
    }
}

/// Reads a pipe to its end on another thread (so a chatty stderr cannot block the process), keeping
/// the first `limit` bytes.
private final class PipeCollector: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private var bytes: [UInt8] = []

    init(handle: FileHandle, limit: Int) {
        DispatchQueue.global().async { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                if bytes.count < limit { bytes.append(contentsOf: chunk.prefix(limit - bytes.count)) }
            }
            finished.signal()
        }
    }

    /// The text read, trimmed, once the pipe has closed.
    func finish() -> String {
        finished.wait()
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
