/// How one object takes part in a sync, read from its annotations (SYNC-SEMANTICS.md, "Annotations
/// read"): whether it is a hook and for which phases, whether it is applied at all, its wave, delete
/// policies, sync options and hook timeout.
public struct SyncSettings: Sendable, Hashable {
    /// The phases the object runs in as a hook, in phase order; empty for a normal object, and for a
    /// hook whose annotation names no phase Sluice knows (which is then skipped).
    public var hookPhases: [HookPhase]
    /// True when the object is a hook (an Argo CD hook annotation other than `Skip` alone, or a Helm
    /// hook other than `crd-install`).
    public var isHook: Bool
    /// True when the object is not applied at all: `Skip` alone, a hook with only unknown phases, or a
    /// Helm hook of a kind Sluice drops (`pre-delete`, `test`, ...). Such objects are reported as skipped.
    public var skip: Bool
    /// When a hook object is deleted; `BeforeHookCreation` when no annotation names a known policy.
    public var deletePolicies: Set<DeletePolicy>
    /// The sync wave (`argocd.argoproj.io/sync-wave`, else `helm.sh/hook-weight`, else 0).
    public var wave: Int
    /// The object's sync options.
    public var options: SyncOptions
    /// How long the hook may run (`sluice.dev/hook-timeout`); `nil` uses the sync's `--hook-timeout`.
    public var hookTimeout: Duration?

    /// The settings of an object without annotations: a normal object in wave 0.
    public init(
        hookPhases: [HookPhase] = [], isHook: Bool = false, skip: Bool = false,
        deletePolicies: Set<DeletePolicy> = [.beforeHookCreation], wave: Int = 0,
        options: SyncOptions = SyncOptions(), hookTimeout: Duration? = nil
    ) {
        self.hookPhases = hookPhases
        self.isHook = isHook
        self.skip = skip
        self.deletePolicies = deletePolicies
        self.wave = wave
        self.options = options
        self.hookTimeout = hookTimeout
    }

    /// The phases the object is applied in: its hook phases for a hook, Sync for a normal object,
    /// none for a skipped one.
    public var phases: [HookPhase] {
        if skip { return [] }
        return isHook ? hookPhases : [.sync]
    }

    /// The annotations Sluice reads.
    public enum Key {
        /// `argocd.argoproj.io/hook`: comma list of hook phases, or `Skip`.
        public static let hook = "argocd.argoproj.io/hook"
        /// `argocd.argoproj.io/hook-delete-policy`: comma list of delete policies.
        public static let hookDeletePolicy = "argocd.argoproj.io/hook-delete-policy"
        /// `argocd.argoproj.io/sync-wave`: an integer.
        public static let syncWave = "argocd.argoproj.io/sync-wave"
        /// `argocd.argoproj.io/sync-options`: comma list of `Key=value`.
        public static let syncOptions = "argocd.argoproj.io/sync-options"
        /// `helm.sh/hook`: comma list of Helm hook kinds.
        public static let helmHook = "helm.sh/hook"
        /// `helm.sh/hook-weight`: an integer, the wave when `sync-wave` gives none.
        public static let helmHookWeight = "helm.sh/hook-weight"
        /// `helm.sh/hook-delete-policy`: comma list of Helm delete policies.
        public static let helmHookDeletePolicy = "helm.sh/hook-delete-policy"
        /// `sluice.dev/hook-timeout`: a duration such as `90s`, `5m` or `1h30m`.
        public static let hookTimeout = "sluice.dev/hook-timeout"
    }

    /// An annotation whose value cannot be used; only values that would silently change behaviour if
    /// ignored are refused (an unusable wave falls back instead, as in Argo CD).
    public struct InvalidAnnotation: Error, Sendable, Hashable, CustomStringConvertible {
        /// The annotation key.
        public var key: String
        /// What is wrong with its value.
        public var message: String

        /// `KEY: MESSAGE`.
        public var description: String { "\(key): \(message)" }
    }
}
