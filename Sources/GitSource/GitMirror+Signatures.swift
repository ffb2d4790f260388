import Foundation

extension GitMirror {
    /// Checks the signatures `verification` asks for before `revision` (resolved from `ref`) is
    /// applied: the commit's (`head`), the annotated tag's (`tag`), or every commit since `base`,
    /// the last applied revision (`all-commits`; the revision alone when `base` is nil or not in
    /// the mirror). Returns who signed the commit (or the tag).
    ///
    /// - Throws: ``GitSourceError`` `unverified` naming each object that is unsigned or not
    ///   trusted, with the key id and identity of its signature when it has one.
    public func verifySignatures(_ verification: SignatureVerification, revision: String, ref: String, since base: String?) async throws -> Signer {
        let objects: [SignedObject] = try await run { worker, context in
            switch verification.mode {
            case .head:
                return [try worker.signedCommit(revision)]
            case .tag:
                guard ref.hasPrefix("refs/tags/") else {
                    throw GitSourceError(.invalidInput, "tag verification needs a tag or semver pin; \(revision.prefix(12)) came from \(ref)")
                }
                return [try worker.signedTag(ref, revision: revision, context: context)]
            case .allCommits:
                return try worker.commitsSince(base, to: revision).map { try worker.signedCommit($0) }
            }
        }
        return try await Self.offQueue { () throws -> Signer in
            let verifier = SignatureVerifier(verification: verification)
            var signers: [Signer] = []
            var refusals: [String] = []
            for object in objects {
                do {
                    signers.append(try verifier.verify(object))
                } catch let error as GitSourceError where error.code == .unverified {
                    refusals.append(error.message)
                }
            }
            guard refusals.isEmpty, let head = signers.first else {
                if objects.count > 1 {
                    throw GitSourceError(
                        .unverified, "\(refusals.count) of the \(objects.count) commits since the last applied revision are not trusted: "
                            + refusals.joined(separator: "; "))
                }
                throw GitSourceError(.unverified, refusals.first ?? "nothing was verified")
            }
            return head
        }
    }

    /// Runs blocking work (the verifier's child processes) on a thread of its own, neither on the
    /// cooperative pool nor on the mirror's queue.
    private static func offQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }
}
