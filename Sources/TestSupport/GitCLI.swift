import Foundation

/// Runs the `git` command-line client, isolated from the machine's and the user's configuration.
///
/// Every run sets `GIT_CONFIG_NOSYSTEM=1`, `GIT_CONFIG_GLOBAL=/dev/null` and
/// `GIT_TERMINAL_PROMPT=0` (a wrong password fails instead of prompting), and unsets variables
/// that would redirect git (`GIT_DIR`, `GIT_ASKPASS`, ...). Pass `environment` to add more, such
/// as `GIT_SSH_COMMAND` or `GIT_SSL_CAINFO`.
public enum GitCLI {
    /// The variables every run sets.
    public static let isolatedEnvironment: [String: String] = [
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
    ]

    /// The variables every run removes from the inherited environment.
    public static let unsetVariables = [
        "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ASKPASS",
        "SSH_ASKPASS", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_PROTOCOL", "GIT_TRACE",
        "GIT_TRACE_PACKET", "GIT_SSL_CAINFO", "GIT_SSL_NO_VERIFY", "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT", "SSH_AUTH_SOCK",
    ]

    /// The default deadline of a git command, so a test never hangs forever.
    public static let defaultTimeout: Duration = .seconds(120)

    /// Runs `git ARGUMENTS` in `directory` and returns the result.
    ///
    /// With `check` (the default) a failure throws an error quoting git's stderr.
    @discardableResult
    public static func run(
        _ arguments: [String],
        in directory: URL? = nil,
        environment: [String: String] = [:],
        input: Data? = nil,
        timeout: Duration? = defaultTimeout,
        check: Bool = true
    ) throws -> ProcessResult {
        try ProcessRunner.run(
            "git", arguments,
            environment: isolatedEnvironment.merging(environment) { _, new in new },
            unsetting: unsetVariables, currentDirectory: directory, input: input,
            timeout: timeout, check: check)
    }

    /// The async form of ``run(_:in:environment:input:timeout:check:)``; waits off the
    /// cooperative thread pool.
    @discardableResult
    public static func runAsync(
        _ arguments: [String],
        in directory: URL? = nil,
        environment: [String: String] = [:],
        input: Data? = nil,
        timeout: Duration? = defaultTimeout,
        check: Bool = true
    ) async throws -> ProcessResult {
        try await ProcessRunner.runAsync(
            "git", arguments,
            environment: isolatedEnvironment.merging(environment) { _, new in new },
            unsetting: unsetVariables, currentDirectory: directory, input: input,
            timeout: timeout, check: check)
    }
}
