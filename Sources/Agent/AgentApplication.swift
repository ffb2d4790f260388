import Crypto
import Foundation
import GitSource
import Manifests
import SyncEngine

/// One application the agent delivers: where its manifests come from and how it is synced.
public struct AgentApplication: Sendable {
    /// The repository.
    public var url: RepositoryURL
    /// What to follow.
    public var spec: RefSpec
    /// The application's directory in the repository.
    public var path: String
    /// Credentials for the repository.
    public var credentials: GitCredentials
    /// How objects are loaded (the default namespace).
    public var loadOptions: LoadOptions
    /// The application's name and sync flags.
    public var sync: SyncConfiguration
    /// Replay each first-parent commit since the last applied one instead of jumping to the newest.
    public var everyCommit: Bool
    /// What the application's configuration said, to tell a changed entry on reload; `nil` for one
    /// given by flags.
    public var fingerprint: String?
    /// The application's own retry policy (`retry:` in the configuration file); `nil` uses the agent's.
    public var retry: RetryPolicy?
    /// Which signatures must be trusted before a revision is applied (`verify:`, `--verify`); `nil`
    /// verifies none.
    public var verification: SignatureVerification?

    /// An application from its parts.
    public init(
        url: RepositoryURL, spec: RefSpec, path: String = "", credentials: GitCredentials = GitCredentials(),
        loadOptions: LoadOptions = LoadOptions(), sync: SyncConfiguration, everyCommit: Bool = false
    ) {
        self.url = url
        self.spec = spec
        self.path = path
        self.credentials = credentials
        self.loadOptions = loadOptions
        self.sync = sync
        self.everyCommit = everyCommit
    }

    /// The application's name.
    public var name: String { sync.app }

    /// A digest of everything that decides what a sync of a revision does (source, path, load and
    /// sync settings; not the credentials), kept in the ledger: a restarted agent resumes from the
    /// ledger only for an application whose digest is unchanged.
    var settingsDigest: String {
        var text = "\(url.description)\n\(spec.description)\n\(path)\n\(everyCommit)\n\(loadOptions)\n\(sync)"
        // Only when set, so the digests of applications without verification stay as they were.
        if let verification { text += "\nverify \(verification)" }
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// How the agent runs: timing and retries shared by every application.
public struct AgentOptions: Sendable {
    /// How often each repository is checked (±10% jitter).
    public var interval: Duration = .seconds(60)
    /// How a failed sync is retried, unless an application has its own policy.
    public var retry = RetryPolicy()
    /// Syncs running at once, over all applications.
    public var maxConcurrentSyncs = 4
    /// Source checks (ref listings) running at once, over all applications.
    public var maxConcurrentChecks = 16
    /// How often each application's objects are compared with its last applied revision; `nil` never.
    public var driftInterval: Duration? = .seconds(600)
    /// Re-apply drifted objects (without hooks) instead of only reporting them.
    public var selfHeal = false

    /// The defaults of SYNC-SEMANTICS.md.
    public init() {}
}
