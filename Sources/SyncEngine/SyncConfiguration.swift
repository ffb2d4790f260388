import KubeModel
import Foundation
import Manifests

/// How one application is synced: the sync-behaviour flags of DESIGN.md.
public struct SyncConfiguration: Sendable {
    /// The application's name, which the ledger, the inventory and tracking ids use.
    public var app: String
    /// The namespace of the application's inventory ConfigMap (the agent's namespace).
    public var inventoryNamespace: String
    /// Prune objects the inventory lists that the revision no longer has (`--prune`, the default).
    public var prune: Bool
    /// Re-apply unchanged objects too, and run hooks even when nothing changed (`--full`).
    public var full: Bool
    /// Let a revision prune every object the application owns (`--allow-empty`).
    public var allowEmpty: Bool
    /// The limit for the whole sync (`--timeout`); `nil` for none. SyncFail hooks still run after it.
    public var timeout: Duration?
    /// The limit for each hook without its own `sluice.dev/hook-timeout` (`--hook-timeout`); `nil` for none.
    public var hookTimeout: Duration?
    /// How long objects may take to become healthy (`--health-timeout`, default 5 minutes).
    public var healthTimeout: Duration
    /// How long SyncFail hooks may run when no hook timeout is set.
    public var syncFailTimeout: Duration
    /// How long the SyncFail hooks of a sync stopped by a shutdown may run (at most their timeout).
    public var stopGrace: Duration = .seconds(30)
    /// How many objects of one run are applied at once.
    public var concurrency: Int
    /// The most bytes of each hook container's log read into the ledger.
    public var logLimitBytes: Int
    /// The application's namespace to create before anything else, with its labels and annotations
    /// (`--create-namespace`, `apps[].createNamespace`); `nil` creates none.
    public var createNamespace: ManagedNamespace?

    /// The defaults of DESIGN.md for `app`.
    public init(
        app: String, inventoryNamespace: String = "sluice-system", prune: Bool = true, full: Bool = false,
        allowEmpty: Bool = false, timeout: Duration? = nil, hookTimeout: Duration? = nil,
        healthTimeout: Duration = .seconds(300), syncFailTimeout: Duration = .seconds(300), concurrency: Int = 16,
        logLimitBytes: Int = 256 * 1024
    ) {
        self.app = app
        self.inventoryNamespace = inventoryNamespace
        self.prune = prune
        self.full = full
        self.allowEmpty = allowEmpty
        self.timeout = timeout
        self.hookTimeout = hookTimeout
        self.healthTimeout = healthTimeout
        self.syncFailTimeout = syncFailTimeout
        self.concurrency = max(1, concurrency)
        self.logLimitBytes = logLimitBytes
    }
}

/// One revision to sync, with what is known about it.
public struct SyncRequest: Sendable {
    /// The commit's 40-hex id.
    public var revision: String
    /// The full ref name that resolved to it (`refs/heads/main`); may be empty.
    public var ref: String
    /// The commit's author, `Name <email>`.
    public var author: String
    /// The commit's message.
    public var message: String
    /// What started the sync.
    public var trigger: Trigger
    /// The revision's manifests.
    public var manifests: ManifestSet
    /// The manifests of the last applied revision, for the delta; `nil` applies every object.
    public var baseManifests: ManifestSet?
    /// The last applied revision, when known.
    public var baseRevision: String?
    /// For a plan of a change only: `manifests` and `baseManifests` hold just the objects of the
    /// changed files (and of files with hooks), and these are the objects the change removed.
    /// `nil` when `manifests` is the whole revision.
    public var removedByChange: Set<ObjectIdentity>?
    /// False to apply the objects only, without running any hook (a drift correction).
    public var runHooks = true
    /// The application's inventory when the caller has just read it (saves reading it again);
    /// `nil` reads it.
    public var inventory: Inventory?
    /// Who signed the revision (or its tag), when its signature was verified; empty otherwise.
    public var signer = ""
    /// How the revision was rendered (one line of JSON, e.g. a Helm chart's settings); empty when
    /// it was not.
    public var rendering = ""

    /// A request from its parts.
    public init(
        revision: String, ref: String = "", author: String = "", message: String = "", trigger: Trigger = .manual,
        manifests: ManifestSet, baseManifests: ManifestSet? = nil, baseRevision: String? = nil,
        removedByChange: Set<ObjectIdentity>? = nil
    ) {
        self.removedByChange = removedByChange
        self.revision = revision
        self.ref = ref
        self.author = author
        self.message = message
        self.trigger = trigger
        self.manifests = manifests
        self.baseManifests = baseManifests
        self.baseRevision = baseRevision
    }
}

/// How a sync ended.
public struct SyncResult: Sendable {
    /// The attempt in the ledger.
    public var attempt: AttemptID
    /// `Succeeded`, `Failed`, `Unchanged`, ...
    public var outcome: Outcome
    /// Why it ended so; empty on success.
    public var message: String
    /// What changed.
    public var changes: ChangeSet
    /// The failure, when it failed.
    public var error: SyncEngineError?
    /// How long each phase took, in the order they ran (from the phase's start to the next one's,
    /// the last to the end of the sync), so that metrics need not read the record back.
    public var phases: [(phase: String, duration: Duration)] = []
    /// How long each hook ran, from its creation to its completion, with its phase.
    public var hooks: [(phase: String, duration: Duration)] = []

    /// A result from its parts.
    public init(attempt: AttemptID, outcome: Outcome, message: String = "", changes: ChangeSet = ChangeSet(), error: SyncEngineError? = nil) {
        self.attempt = attempt
        self.outcome = outcome
        self.message = message
        self.changes = changes
        self.error = error
    }
}
