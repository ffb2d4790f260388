/// The phase a hook runs in, as named by `argocd.argoproj.io/hook`.
///
/// Ordered as a sync runs them: PreSync, Sync, PostSync, and SyncFail last (it runs only when
/// something failed).
public enum HookPhase: String, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    case preSync = "PreSync"
    case sync = "Sync"
    case postSync = "PostSync"
    case syncFail = "SyncFail"

    private var rank: Int {
        switch self {
        case .preSync: return 0
        case .sync: return 1
        case .postSync: return 2
        case .syncFail: return 3
        }
    }

    /// Orders phases as a sync runs them.
    public static func < (lhs: HookPhase, rhs: HookPhase) -> Bool { lhs.rank < rhs.rank }

    /// The annotation value: `PreSync`, `Sync`, `PostSync` or `SyncFail`.
    public var description: String { rawValue }
}

/// When a hook object is deleted, as named by `argocd.argoproj.io/hook-delete-policy` (or the Helm
/// equivalents).
public enum DeletePolicy: String, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// Delete the previous hook object before creating it again (the default).
    case beforeHookCreation = "BeforeHookCreation"
    /// Delete the hook once it has succeeded.
    case hookSucceeded = "HookSucceeded"
    /// Delete the hook once it has failed.
    case hookFailed = "HookFailed"

    /// Orders policies by name, for stable output.
    public static func < (lhs: DeletePolicy, rhs: DeletePolicy) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The annotation value, e.g. `HookSucceeded`.
    public var description: String { rawValue }

    /// The policy a Helm `helm.sh/hook-delete-policy` value names, if any.
    init?(helm value: String) {
        switch value {
        case "before-hook-creation": self = .beforeHookCreation
        case "hook-succeeded": self = .hookSucceeded
        case "hook-failed": self = .hookFailed
        default: return nil
        }
    }
}
