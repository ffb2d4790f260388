import Foundation
import ProcessSpawn

#if canImport(Glibc)
import Glibc
#endif

/// Runs one exec credential plugin to completion (``ChildProcess/run``): in its own process group,
/// both output pipes drained, and the group killed at a deadline.
///
/// Blocking: call it from a dispatch queue, never from the cooperative thread pool.
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
        do {
            // In a group of its own, so a timeout can kill the plugin's children too.
            let completed = try ChildProcess.run(
                executable, arguments: [executable] + arguments, environment: environment, inheritStandardInput: inheritStandardInput,
                timeout: timeout, maximumOutput: maximumOutput, maximumErrorOutput: maximumErrorText)
            return .success(
                Output(
                    status: completed.status, standardOutput: completed.standardOutput,
                    standardError: String(decoding: completed.standardError, as: UTF8.self), timedOut: completed.timedOut,
                    outputTooLarge: completed.outputTooLarge))
        } catch {
            return .failure(problem(error.code))
        }
    }

    private static func problem(_ code: Int32) -> KubeConfigFileSystem.Problem {
        KubeConfigFileSystem.Problem(reason: String(cString: strerror(code)), isMissing: code == ENOENT)
    }
}
