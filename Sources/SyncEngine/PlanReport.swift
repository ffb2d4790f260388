import KubeModel

/// What `sluice plan` prints.
public struct PlanReport: Sendable {
    /// One task as it would run.
    public struct Entry: Sendable, Hashable {
        public var phase: String
        public var wave: Int
        public var group: String
        public var kind: String
        public var namespace: String
        public var name: String
        public var hook: Bool
        /// `created`, `configured`, `unchanged`, `pruned`, `skipped`.
        public var action: String
        /// The live object's health when it was read (`Missing` when it does not exist); `nil` for
        /// hooks and objects not read.
        public var health: Health? = nil
    }

    /// The revision planned.
    public var revision: String
    /// The last applied revision, `nil` before the first sync.
    public var baseRevision: String?
    /// Files changed under the application's path since the base revision.
    public var changedFiles: [String]
    /// The tasks in the order they would run, prunes in their waves.
    public var tasks: [Entry]
    /// Objects kept although the revision dropped them (`Prune=false`, or pruning off).
    public var kept: [String]
    /// True when nothing changed under the path since the last applied revision and its sync
    /// succeeded: a sync would record `Unchanged` and run nothing.
    public var upToDate = false
    /// True when only the changed files (and files with hooks) were read: objects outside the change
    /// are not listed in ``tasks``.
    public var incremental = false

    /// A report from its parts.
    public init(revision: String, baseRevision: String?, changedFiles: [String], tasks: [Entry], kept: [String]) {
        self.revision = revision
        self.baseRevision = baseRevision
        self.changedFiles = changedFiles
        self.tasks = tasks
        self.kept = kept
    }
}
