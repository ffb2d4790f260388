import Foundation
import KubeModel

/// One sync attempt of one revision of one application.
public struct Attempt: Sendable, Hashable {
    /// The attempt's identity in this ledger.
    public var id: AttemptID
    /// The application's name.
    public var app: String
    /// The commit's 40-hex id.
    public var revision: String
    /// 1 for the first attempt of this revision of this application, then 2, 3, ...
    public var number: Int
    /// The full ref name that resolved to the revision, e.g. `refs/heads/main`.
    public var ref: String
    /// The commit's author.
    public var author: String
    /// The commit's message.
    public var message: String
    /// What started the attempt.
    public var trigger: Trigger
    /// When the attempt began.
    public var startedAt: Date
    /// When the attempt ended; `nil` while it runs.
    public var finishedAt: Date?
    /// How it ended, or `Running`.
    public var outcome: Outcome
    /// The last phase the attempt entered (`Validate`, `PreSync`, `Sync`, ...); `nil` before the first.
    public var phaseReached: String?
    /// Why the attempt ended as it did (the failure, what superseded it); empty when there is nothing to say.
    public var outcomeMessage: String
    /// The SHA-256 (hex) of the rendered manifests recorded for this attempt, if any.
    public var manifestDigest: String?
    /// Who signed the revision (or its tag), as its verified signature says: the identity and the
    /// key (`Alice <alice@example.com> (OpenPGP key 14C8…)`); empty when no signature was verified.
    public var signer: String = ""
    /// How the revision was rendered, as one line of JSON: for a Helm chart `renderer`, `chart`,
    /// `releaseName`, `kubeVersion`, `valueFiles`, and the inline `values` and `parameters` as
    /// SHA-256 digests; empty when nothing was rendered.
    public var rendering: String = ""
}
