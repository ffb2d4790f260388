import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A kubeconfig exec credential plugin (`aws eks get-token`, `gke-gcloud-auth-plugin`,
/// `kubelogin`, …): runs the command, reads the `ExecCredential` it prints, and caches the
/// credential until it expires (forever when it has no expiry) or the server rejects it.
///
/// Concurrent callers share one run of the plugin. The plugin runs on a dispatch thread, never
/// on the cooperative thread pool. Failures quote the plugin's standard error (with any token it
/// handed out before removed) but never its output, arguments or environment.
public final class ExecCredentialPlugin: Sendable {
    /// How the plugin is run.
    public let configuration: Configuration
    private let now: @Sendable () -> Date
    private let state = Mutex(State())

    private struct State {
        var cached: ExecCredential?
        var running: (task: Task<Result<ExecCredential, KubeConfigError>, Never>, generation: Int)?
        var generation = 0
        var runs = 0
        /// Tokens handed out so far, kept only to blank them out of standard error.
        var issuedTokens: [String] = []
    }

    /// Creates a plugin; nothing runs until ``credential()``.
    ///
    /// - Parameter now: the wall clock that expiry is compared with, injected for tests.
    public init(configuration: Configuration, now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.now = now
    }

    /// How many times a fresh credential was fetched: runs of the plugin, including failed
    /// ones and attempts refused before starting it.
    public var runCount: Int { state.withLock { $0.runs } }

    /// The cached credential while it is unexpired; otherwise runs the plugin (once, however
    /// many callers are waiting) and caches what it returns.
    public func credential() async throws(KubeConfigError) -> ExecCredential {
        let instant = now()
        enum Step {
            case ready(ExecCredential)
            case wait(Task<Result<ExecCredential, KubeConfigError>, Never>, Int)
        }
        let step = state.withLock { state -> Step in
            if let cached = state.cached, !cached.isExpired(at: instant) { return .ready(cached) }
            if let running = state.running { return .wait(running.task, running.generation) }
            state.generation += 1
            state.runs += 1
            let redactions = state.issuedTokens
            let configuration = self.configuration
            let task = Task<Result<ExecCredential, KubeConfigError>, Never> {
                await Self.runOffPool(configuration, redacting: redactions)
            }
            state.running = (task, state.generation)
            return .wait(task, state.generation)
        }
        switch step {
        case .ready(let credential):
            return credential
        case .wait(let task, let generation):
            let result = await task.value
            state.withLock { state in
                guard state.running?.generation == generation else { return }
                state.running = nil
                if case .success(let credential) = result {
                    state.cached = credential
                    if let token = credential.token, !state.issuedTokens.contains(token) {
                        state.issuedTokens = Array((state.issuedTokens + [token]).suffix(8))
                    }
                }
            }
            return try result.get()
        }
    }

    /// Discards the cached credential so the next ``credential()`` runs the plugin again
    /// (after the server answered 401).
    ///
    /// - Parameter token: the token that was rejected; if the cache already holds a different
    ///   one (another caller refreshed it), nothing is discarded. Nil always discards.
    public func invalidate(rejected token: String? = nil) {
        state.withLock { state in
            if let token, let cached = state.cached, cached.token != token { return }
            state.cached = nil
        }
    }

    private static func runOffPool(_ configuration: Configuration, redacting: [String]) async -> Result<ExecCredential, KubeConfigError> {
        // A thread of its own, not a dispatch queue: on Linux Swift's tasks run on dispatch's global
        // queues, and a plugin that takes seconds would hold one of their few threads.
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: runBlocking(configuration, redacting: redacting))
            }
        }
    }

    /// Runs the plugin on the current thread and parses what it printed.
    static func runBlocking(_ configuration: Configuration, redacting: [String]) -> Result<ExecCredential, KubeConfigError> {
        let origin = configuration.origin
        let command = configuration.command
        func failure(_ problem: String) -> Result<ExecCredential, KubeConfigError> {
            .failure(KubeConfigError(.exec, "\(origin): \(problem)"))
        }
        let terminal = isatty(STDIN_FILENO) == 1
        let interactive = configuration.interactiveMode != .never && terminal
        if configuration.interactiveMode == .always && !terminal {
            return failure("the plugin \(command) needs a terminal (interactiveMode Always), but standard input is not one")
        }
        let environment = configuration.processEnvironment(interactive: interactive)
        guard let executable = ExecCredentialProcess.locate(command, searchPath: environment["PATH"]) else {
            var message = "the plugin \(command) was not found or is not executable"
            if !command.contains("/") { message += " (searched PATH)" }
            if let hint = configuration.installHint { message += ". \(hint)" }
            return failure(message)
        }
        let run = ExecCredentialProcess.run(
            executable: executable, arguments: configuration.arguments, environment: environment,
            inheritStandardInput: interactive, timeout: configuration.timeout)
        let output: ExecCredentialProcess.Output
        switch run {
        case .failure(let problem): return failure("cannot start the plugin \(command): \(problem.reason)")
        case .success(let result): output = result
        }
        let stderr = redacted(output.standardError, tokens: redacting)
        let said = stderr.isEmpty ? "" : ": \(stderr)"
        if output.timedOut { return failure("the plugin \(command) did not finish within \(configuration.timeout)\(said)") }
        // Output past the limit stops the plugin, so it says more than its exit status.
        if output.outputTooLarge { return failure("the plugin \(command) printed more than \(ExecCredentialProcess.maximumOutput) bytes") }
        guard output.status == 0 else { return failure("the plugin \(command) exited with status \(output.status)\(said)") }
        do {
            return .success(try ExecCredential.parse(output.standardOutput, apiVersion: configuration.apiVersion, origin: origin))
        } catch {
            return .failure(error)
        }
    }

    /// Standard error made fit for a message: trimmed, shortened, and without any token the
    /// plugin handed out before.
    static func redacted(_ text: String, tokens: [String]) -> String {
        var result = text.trimmingCharacters(in: .whitespacesAndNewlines)
        for token in tokens where token.count >= 4 {
            result = result.replacingOccurrences(of: token, with: "<redacted>")
        }
        if result.count > 2000 { result = String(result.prefix(2000)) + "…" }
        return result
    }
}
