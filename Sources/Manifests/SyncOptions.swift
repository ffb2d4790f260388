/// The per-object options of `argocd.argoproj.io/sync-options` that Sluice honours.
///
/// Each property holds the effective value: the default unless the annotation lists the one
/// `Key=value` pair that changes it. Other entries (and other spellings) are ignored, as Argo CD does.
public struct SyncOptions: Sendable, Hashable {
    /// `Prune=false` turns it off: the object is never pruned.
    public var prune: Bool
    /// `Replace=true`: replace (delete and create, or PUT) instead of applying.
    public var replace: Bool
    /// `Force=true`: delete and recreate when an update is refused.
    public var force: Bool
    /// `ServerSideApply=false` turns it off: apply client-side instead.
    public var serverSideApply: Bool
    /// `PruneLast=true`: prune after the last Sync wave.
    public var pruneLast: Bool
    /// `CreateNamespace=true`: create the object's namespace when missing.
    public var createNamespace: Bool
    /// `SkipDryRunOnMissingResource=true`: skip the dry run when the kind is not yet known (its
    /// CustomResourceDefinition comes in the same sync).
    public var skipDryRunOnMissingResource: Bool
    /// `Validate=false` turns off server-side field validation.
    public var validate: Bool

    /// Whether the object is sent with client-side apply (`ServerSideApply=false` or
    /// `Validate=false`, as Argo CD sends those): see SyncEngine's `ClientSideApply`.
    public var clientSideApply: Bool { !serverSideApply || !validate }

    /// Options with the given values; the defaults are those of an object without the annotation.
    public init(
        prune: Bool = true, replace: Bool = false, force: Bool = false, serverSideApply: Bool = true,
        pruneLast: Bool = false, createNamespace: Bool = false, skipDryRunOnMissingResource: Bool = false,
        validate: Bool = true
    ) {
        self.prune = prune
        self.replace = replace
        self.force = force
        self.serverSideApply = serverSideApply
        self.pruneLast = pruneLast
        self.createNamespace = createNamespace
        self.skipDryRunOnMissingResource = skipDryRunOnMissingResource
        self.validate = validate
    }

    /// Reads the entries of a `sync-options` annotation (already split on commas and trimmed).
    init(entries: Set<String>) {
        self.init(
            prune: !entries.contains("Prune=false"),
            replace: entries.contains("Replace=true"),
            force: entries.contains("Force=true"),
            serverSideApply: !entries.contains("ServerSideApply=false"),
            pruneLast: entries.contains("PruneLast=true"),
            createNamespace: entries.contains("CreateNamespace=true"),
            skipDryRunOnMissingResource: entries.contains("SkipDryRunOnMissingResource=true"),
            validate: !entries.contains("Validate=false"))
    }
}
