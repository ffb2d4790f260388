import Crypto
import Foundation

/// A bare mirror of one remote repository in the state directory: cloned once, then fetched
/// incrementally. The actor is the only owner of the mirror, and its libgit2 work runs on one
/// dedicated serial queue, so concurrent callers never corrupt it and never block the
/// cooperative thread pool.
public actor GitMirror {
    /// The remote.
    public nonisolated let url: RepositoryURL
    /// The mirror's directory.
    public nonisolated let path: String
    private let worker: MirrorWorker
    private let queue: DispatchQueue

    /// A mirror of `url` kept under `stateDirectory/mirrors/`.
    public init(url: RepositoryURL, credentials: GitCredentials = GitCredentials(), stateDirectory: String,
                options: GitSourceOptions = GitSourceOptions()) {
        self.url = url
        self.path = GitMirror.mirrorPath(for: url, in: stateDirectory)
        worker = MirrorWorker(url: url, path: path, credentials: credentials, options: options)
        queue = DispatchQueue(label: "sluice.mirror.\(url.normalized)")
    }

    /// `mirrors/<host-and-path>-<hash>.git`: readable, and unique per normalised URL.
    static func mirrorPath(for url: RepositoryURL, in stateDirectory: String) -> String {
        let digest = SHA256.hash(data: Data(url.normalized.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
        let readable = ((url.host ?? "local") + url.path).map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" }
        let name = String(String(readable).suffix(60)).trimmingCharacters(in: CharacterSet(charactersIn: "_."))
        return (stateDirectory as NSString).appendingPathComponent("mirrors/\(name)-\(digest).git")
    }

    /// Runs blocking libgit2 work on the mirror's queue, cancelling it with the calling task.
    func run<T: Sendable>(_ body: @escaping @Sendable (MirrorWorker, OperationContext) throws -> T) async throws -> T {
        let worker = self.worker
        let context = worker.makeContext()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
                queue.async {
                    continuation.resume(with: Result { try withExtendedLifetime(context) { try body(worker, context) } })
                }
            }
        } onCancel: {
            context.cancel()
        }
    }

    /// Frees the mirror's open repository: libgit2's object cache and the pack windows it maps.
    /// An agent calls it once a sync is over, so that each of many idle applications holds none;
    /// the next operation opens the repository again.
    public func closeRepository() async {
        _ = try? await run { worker, _ in worker.closeRepository() }
    }

    /// Lists the remote's refs that `spec` needs, in one cheap request; fetches nothing.
    public func listRemote(for spec: RefSpec) async throws -> RemoteListing {
        try await listRemote(prefixes: spec.refPrefixes)
    }

    /// Lists the remote's refs under `prefixes` (`HEAD` included when asked for).
    public func listRemote(prefixes: [String]) async throws -> RemoteListing {
        try await run { worker, context in try worker.list(prefixes: prefixes, context: context) }
    }

    /// Which commit `spec` points at on the remote now, without fetching ("anything new?").
    /// For a commit spec, the commit itself.
    public func resolveRemote(_ spec: RefSpec) async throws -> ResolvedRevision {
        if case .commit = spec {
            return try await resolveCommit(spec)
        }
        let listing = try await listRemote(for: spec)
        return try listing.resolve(spec, url: url)
    }

    /// Resolves `spec` on the remote and makes sure its commit is in the mirror, fetching only
    /// when it is not there yet. Returns the commit with its full id.
    public func update(_ spec: RefSpec) async throws -> ResolvedRevision {
        if case .commit = spec { return try await resolveCommit(spec) }
        return try await ensure(try await resolveRemote(spec))
    }

    /// Makes sure the commit a check already resolved is in the mirror, fetching its ref only when
    /// it is not there yet; lists nothing again, so the commit synced is the one the check saw.
    /// Returns it with its full id.
    public func ensure(_ resolved: ResolvedRevision) async throws -> ResolvedRevision {
        if resolved.ref == resolved.revision { return try await resolveCommit(.commit(resolved.revision)) }
        return try await run { worker, context in
            if !(try worker.repository().contains(resolved.revision)) {
                let refspec = "+\(resolved.ref):\(resolved.ref)"
                try worker.fetch(refspecs: [refspec], context: context)
            }
            let commit = try worker.repository().commit(resolved.revision)
            return ResolvedRevision(ref: resolved.ref, revision: commit.id)
        }
    }

    /// A commit spec: present already, or fetched with every branch and tag, then looked up.
    private func resolveCommit(_ spec: RefSpec) async throws -> ResolvedRevision {
        guard case .commit(let sha) = spec else { throw GitSourceError(.invalidInput, "not a commit spec") }
        let lower = sha.lowercased()
        guard lower.count >= 7, lower.count <= 40, lower.allSatisfy(\.isHexDigit) else {
            throw GitSourceError(.invalidInput, "'\(sha)' is not a commit id (7 to 40 hex digits)")
        }
        let url = self.url
        return try await run { worker, context in
            let repo = try worker.repository()
            if let commit = try? repo.commit(lower) { return ResolvedRevision(ref: commit.id, revision: commit.id) }
            try worker.fetch(refspecs: ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"], context: context)
            guard let commit = try? repo.commit(lower) else {
                throw GitSourceError(.notFound, "commit \(sha) does not exist in \(url)")
            }
            return ResolvedRevision(ref: commit.id, revision: commit.id)
        }
    }

    /// Fetches every branch and tag (used by tools that browse history, and by the benchmark).
    public func fetchAll() async throws {
        try await run { worker, context in
            try worker.fetch(refspecs: ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"], context: context)
        }
    }

    /// Keeps `revision` readable even if the branch that held it is force-pushed away.
    public func pin(_ revision: String) async throws {
        try await run { worker, _ in try worker.pin(revision) }
    }

    /// A commit's metadata.
    public func commit(_ revision: String) async throws -> CommitInfo {
        try await run { worker, _ in try worker.commitInfo(revision) }
    }

    /// Paths changed under `path` between two commits (`from: nil` means since the empty tree).
    public func changes(from: String?, to: String, under path: String = "") async throws -> [PathChange] {
        try await run { worker, _ in try worker.changes(from: from, to: to, under: path) }
    }

    /// First-parent commits after `from` up to `to`, oldest first.
    public func firstParentCommits(from: String?, to: String) async throws -> [String] {
        try await run { worker, _ in try worker.firstParentCommits(from: from, to: to) }
    }

    /// The named files at `revision` (paths from the repository root); paths that are not files
    /// there are left out. Reads only those blobs, so it costs what was asked for, not the tree's size.
    public func files(at revision: String, paths: [String]) async throws -> [RepositoryFile] {
        try await run { worker, _ in try worker.files(at: revision, paths: paths) }
    }

    /// Every file under `path` at `revision`.
    public func snapshot(at revision: String, under path: String = "") async throws -> RepositorySnapshot {
        try await run { worker, _ in try worker.snapshot(at: revision, under: path) }
    }
}
