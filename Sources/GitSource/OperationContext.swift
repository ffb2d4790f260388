import CLibGit2
import Foundation
import Synchronization

/// What one Git operation carries into libgit2's callbacks and the libcurl transport:
/// its deadline, its cancellation, its credentials, and the first precise error seen.
///
/// Passed to C unretained as the callbacks' payload; the caller keeps it alive for the whole call.
final class OperationContext: Sendable {
    let url: RepositoryURL
    let credentials: GitCredentials
    let deadline: ContinuousClock.Instant
    let timeout: Duration
    let userAgent: String
    /// Told how a fetch advances; see ``GitSourceOptions/fetchProgress``.
    let progress: (@Sendable (FetchProgress) -> Void)?

    private struct State {
        var cancelled = false
        var recordedError: GitSourceError?
        var credentialAttempts = 0
    }
    private let state = Mutex(State())

    init(
        url: RepositoryURL, credentials: GitCredentials, timeout: Duration, userAgent: String = "sluice",
        progress: (@Sendable (FetchProgress) -> Void)? = nil
    ) {
        self.progress = progress
        self.url = url
        self.credentials = credentials
        self.timeout = timeout
        self.deadline = ContinuousClock.now.advanced(by: timeout)
        self.userAgent = userAgent
    }

    var isCancelled: Bool { state.withLock { $0.cancelled } }
    func cancel() { state.withLock { $0.cancelled = true } }

    var deadlinePassed: Bool { ContinuousClock.now >= deadline }

    /// Whether the operation must stop now (cancelled or out of time).
    var shouldAbort: Bool { isCancelled || deadlinePassed }

    var timeoutDescription: String {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? "\(Int(seconds))s" : String(format: "%.1fs", seconds)
    }

    /// Records a precise error for the caller; the first one wins.
    func record(_ error: GitSourceError) {
        state.withLock { if $0.recordedError == nil { $0.recordedError = error } }
    }

    func takeRecordedError() -> GitSourceError? {
        state.withLock { s in
            defer { s.recordedError = nil }
            return s.recordedError
        }
    }

    /// Counts a credentials request; libgit2 asks again after a refusal, so a second ask means refused.
    func nextCredentialAttempt() -> Int {
        state.withLock { s in
            s.credentialAttempts += 1
            return s.credentialAttempts
        }
    }

    /// The error to report when the operation was stopped by us rather than by the server.
    func abortError(_ what: String) -> GitSourceError {
        if isCancelled { return GitSourceError(.cancelled, "\(what): cancelled") }
        return GitSourceError(.timeout, "\(what): \(url) did not answer within \(timeoutDescription)")
    }
}
