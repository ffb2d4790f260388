import GitSource
import SyncEngine

extension ApplicationSync {
    /// Verifies the signatures the source asks for (``ApplicationSource/verification``) before
    /// `fetched` is applied: the signer (`nil` when nothing is verified), or a `signatureRefused`
    /// error saying what is not trusted and that nothing was applied. A failure that is not the
    /// signature's (the tag could not be fetched, gpgv is missing) is thrown as it is: retried.
    func verifySignatures(_ fetched: FetchedRevision, base: String?) async throws -> Result<Signer?, SyncEngineError> {
        guard let verification = source.verification else { return .success(nil) }
        do {
            return .success(
                try await source.mirror.verifySignatures(verification, revision: fetched.revision, ref: fetched.ref, since: base))
        } catch let error as GitSourceError where error.code == .unverified || error.code == .invalidInput {
            return .failure(SyncEngineError(.signatureRefused, "signature refused; nothing was applied: \(error.message)"))
        }
    }
}
