import Foundation
import Synchronization

extension ClusterConnection {
    /// A bearer token kept in a file that something else rotates: a projected service account
    /// token (the kubelet swaps it before it expires) or a kubeconfig `tokenFile`.
    ///
    /// Like client-go's cached file token source, the file is re-read at most once per
    /// ``refreshInterval``, and also at once when its modification time, size or inode changed
    /// (checked with one `stat` per call). When a re-read fails but a token was read before,
    /// the previous token is kept, as client-go does.
    public final class TokenFile: Sendable, CustomStringConvertible {
        /// The token file's path.
        public let path: String
        /// How long a token that was read stays in use when the file looks unchanged.
        public let refreshInterval: Duration
        private let now: @Sendable () -> Date
        private let state = Mutex(State())

        private struct State {
            var token: String?
            var readAt: Date?
            var stamp: KubeConfigFileSystem.Stamp?
        }

        /// Creates a token source for `path`; nothing is read until ``currentToken()``.
        ///
        /// - Parameters:
        ///   - refreshInterval: re-read at least this often; one minute as in client-go.
        ///   - now: the wall clock, injected so tests can move time forward.
        public init(path: String, refreshInterval: Duration = .seconds(60), now: @escaping @Sendable () -> Date = { Date() }) {
            self.path = path
            self.refreshInterval = refreshInterval
            self.now = now
        }

        /// The token (surrounding whitespace removed), re-reading the file when it changed or
        /// ``refreshInterval`` has passed.
        ///
        /// - Throws: ``KubeConfigError`` (`.io`) when the file cannot be read or is empty and no
        ///   token was read before.
        public func currentToken() throws(KubeConfigError) -> String {
            let stamp = KubeConfigFileSystem.stamp(path)
            let instant = now()
            let interval = Double(refreshInterval.components.seconds)
                + Double(refreshInterval.components.attoseconds) / 1e18
            return try state.withLock { state throws(KubeConfigError) -> String in
                if let token = state.token, let readAt = state.readAt, stamp != nil, stamp == state.stamp,
                    instant >= readAt, instant.timeIntervalSince(readAt) < interval
                {
                    return token
                }
                switch KubeConfigFileSystem.text(path) {
                case .success(let text):
                    let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
                    guard !token.isEmpty else {
                        if let previous = state.token { return previous }
                        throw KubeConfigError(.io, "\(path): the token file is empty")
                    }
                    state.token = token
                    state.readAt = instant
                    state.stamp = stamp
                    return token
                case .failure(let problem):
                    if let previous = state.token { return previous }
                    throw KubeConfigError(.io, "\(path): cannot read the token file: \(problem.reason)")
                }
            }
        }

        /// Forgets the cached token so the next ``currentToken()`` re-reads the file (after
        /// the server rejected the token).
        public func invalidate() {
            state.withLock { state in
                state.readAt = nil
            }
        }

        /// `token file /path`.
        public var description: String { "token file \(path)" }
    }
}
