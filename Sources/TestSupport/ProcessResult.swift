import Foundation

/// What a finished command printed and how it ended.
public struct ProcessResult: Sendable {
    /// The executable and its arguments, for messages.
    public var command: [String]
    /// The exit status; for a process killed by a signal, 128 + the signal number.
    public var exitCode: Int32
    /// Everything written to standard output.
    public var stdout: Data
    /// Everything written to standard error.
    public var stderr: Data
    /// Whether the runner killed the process because it ran past its timeout.
    public var timedOut: Bool

    /// Creates a result.
    public init(command: [String], exitCode: Int32, stdout: Data, stderr: Data, timedOut: Bool) {
        self.command = command
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
    }

    /// Standard output as UTF-8 text.
    public var output: String { String(decoding: stdout, as: UTF8.self) }

    /// Standard error as UTF-8 text.
    public var errorOutput: String { String(decoding: stderr, as: UTF8.self) }

    /// Standard output with surrounding whitespace and newlines removed.
    public var trimmedOutput: String { output.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// True when the process exited with status 0 and was not killed for a timeout.
    public var succeeded: Bool { exitCode == 0 && !timedOut }

    /// Returns `self` when the command succeeded, and otherwise throws an error quoting stderr.
    @discardableResult
    public func check() throws -> ProcessResult {
        if timedOut {
            throw TestSupportError(.timedOut, "\(commandLine) timed out; stderr: \(errorOutput)")
        }
        guard exitCode == 0 else {
            throw TestSupportError(
                .commandFailed,
                "\(commandLine) exited with \(exitCode); stderr: \(errorOutput)\(stdoutTail)")
        }
        return self
    }

    /// The command as one shell-like line, for messages.
    public var commandLine: String {
        command.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }

    private var stdoutTail: String {
        let text = output
        guard !text.isEmpty else { return "" }
        return "; stdout: " + String(text.suffix(2000))
    }
}
