import Foundation
import ProcessSpawn

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
        let completed: ChildProcess.Completed
        do {
            completed = try ChildProcess.run(
                executable.path, arguments: [executable.path] + Array(command.dropFirst()) + [directory.path],
                environment: ProcessInfo.processInfo.environment, directory: directory.path, timeout: timeout, maximumOutput: maxBytes)
        } catch {
            throw Failure(code: .kustomizeFailed, message: "cannot run \(executable.path): \(error.reason)")
        }
        if completed.outputTooLarge {
            throw Failure(code: .limitExceeded, message: "Kustomize output is larger than \(maxBytes) bytes")
        }
        if completed.timedOut {
            throw Failure(code: .kustomizeFailed, message: "Kustomize did not finish within \(timeout) and was stopped")
        }
        guard completed.status == 0 else {
            let stderr = String(decoding: completed.standardError, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(
                code: .kustomizeFailed, message: "Kustomize failed (exit status \(completed.status)): \(stderr.isEmpty ? "no error output" : stderr)")
        }
        return completed.standardOutput
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
