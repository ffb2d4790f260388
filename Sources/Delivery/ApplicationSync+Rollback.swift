import Foundation
import GitSource
import KubeModel
import Ledger
import Manifests
import SyncEngine

extension ApplicationSync {
    /// Applies `revision` again, with its hooks, recorded with trigger `rollback`.
    ///
    /// The manifests come from the Git mirror when it has the commit, else from the ledger's record
    /// of the revision, so a rollback works with the Git server down. The ledger keeps no Secret
    /// values: from the ledger, Secrets are not applied (the live ones stay, and are not pruned).
    ///
    /// - Throws: ``SyncEngineError`` `invalidManifests` when neither has the revision.
    public func rollback(to revision: String) async throws -> SyncResult {
        let (base, inventory) = try await lastApplied()
        let mirror = source.mirror
        var manifests: ManifestSet?
        var author = ""
        var message = ""
        if let commit = try? await mirror.commit(revision) {
            author = "\(commit.author.name) <\(commit.author.email)>"
            message = commit.message.trimmingCharacters(in: .whitespacesAndNewlines)
            manifests = try? await load(at: commit.id)
        }
        if manifests == nil, let recorded = try await recordedManifests(revision) {
            manifests = recorded
            if let attempt = try? await ledger.attempt(app: app, revision: revision) {
                author = attempt.author
                message = attempt.message
            }
        }
        guard let manifests else {
            throw SyncEngineError(
                .invalidManifests, "revision \(revision) of \(app) is neither in the repository mirror nor recorded in the ledger")
        }
        var request = SyncRequest(
            revision: revision, ref: "rollback", author: author, message: message, trigger: .rollback, manifests: manifests,
            baseManifests: try await baseManifests(base), baseRevision: base)
        request.inventory = inventory
        return try await run(request)
    }
}
