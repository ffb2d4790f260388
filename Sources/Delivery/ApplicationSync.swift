import Foundation
import GitSource
import KubeClient
import KubeModel
import Ledger
import Logging
import Manifests
import SyncEngine

/// Where an application's manifests come from: a mirrored repository, a ref spec and a path.
public struct ApplicationSource: Sendable {
    /// The repository's mirror.
    public var mirror: GitMirror
    /// What to follow: a branch, a tag, a semver range, a commit.
    public var spec: RefSpec
    /// The application's directory in the repository; empty for the root.
    public var path: String
    /// How manifests are loaded (the default namespace, limits, Kustomize).
    public var loadOptions: LoadOptions
    /// Which signatures must be verified, and against which keys, before a revision is applied;
    /// `nil` verifies none.
    public var verification: SignatureVerification?

    /// A source from its parts.
    public init(
        mirror: GitMirror, spec: RefSpec, path: String = "", loadOptions: LoadOptions = LoadOptions(),
        verification: SignatureVerification? = nil
    ) {
        self.mirror = mirror
        self.spec = spec
        self.path = path.split(separator: "/").joined(separator: "/")
        self.loadOptions = loadOptions
        self.verification = verification
    }
}

/// A revision fetched and ready to sync or plan.
public struct FetchedRevision: Sendable {
    /// The commit.
    public var revision: String
    /// The full ref name that resolved to it.
    public var ref: String
    /// The commit's metadata.
    public var commit: CommitInfo

    /// A fetched revision from its parts.
    public init(revision: String, ref: String, commit: CommitInfo) {
        self.revision = revision
        self.ref = ref
        self.commit = commit
    }
}

/// The last applied revision, and the application's inventory, whose object list is parsed on a
/// task of its own (``ApplicationSync/lastAppliedParsing()``).
struct LastApplied: Sendable {
    /// The cluster's inventory's revision, else the ledger's last success; `nil` before the first.
    let revision: String?
    let parsing: Task<Inventory, Never>

    /// The inventory (empty when the application has none), once parsed.
    var inventory: Inventory {
        get async { await parsing.value }
    }
}

/// Syncs one application from its Git source: fetch, compare with the last applied revision,
/// load, and run the sync (or record `Unchanged`).
public struct ApplicationSync: Sendable {
    /// Where the manifests come from.
    public let source: ApplicationSource
    /// What syncs them.
    public let runner: SyncRunner
    /// The application's history: the last success, recorded manifests, the hook index.
    public let ledger: Ledger
    let logger: Logger

    /// A syncer for one application; `runner` records into `ledger`.
    public init(source: ApplicationSource, runner: SyncRunner, ledger: Ledger, logger: Logger = Logger(label: "sluice.sync")) {
        self.source = source
        self.runner = runner
        self.ledger = ledger
        self.logger = logger
    }

    var app: String { runner.configuration.app }

    /// Runs the sync of `request` holding the application's lock: one sync of an application at a
    /// time over every process sharing the state directory (the agent, `sluice sync`, `sluice
    /// rollback`). The lock also tells a later start that an attempt left Running by this process
    /// is alive.
    func run(_ request: SyncRequest) async throws -> SyncResult {
        let app = self.app
        let logger = self.logger
        let lock = try await ledger.lockSync(
            app: app, holder: "pid \(ProcessInfo.processInfo.processIdentifier): sync of \(app) at \(request.revision)",
            waiting: { holder in
                logger.notice("waiting for another sync of the application to end", metadata: ["app": "\(app)", "holder": "\(holder)"])
            })
        let result: SyncResult
        do {
            result = try await runner.sync(request)
            try await recordOutcome(result)
        } catch {
            await lock.release()
            throw error
        }
        await lock.release()
        return result
    }

    /// Records an attempt that ended before anything was applied (see ``SyncRunner/record``), and
    /// the application's source.
    func record(
        revision: String, ref: String, author: String, message: String, trigger: Trigger, outcome: Outcome, phase: String? = nil,
        outcomeMessage: String, code: SyncEngineError.Code = .invalidManifests, signer: String = "", rendering: String = ""
    ) async throws -> SyncResult {
        let result = try await runner.record(
            revision: revision, ref: ref, author: author, message: message, trigger: trigger, outcome: outcome, phase: phase,
            outcomeMessage: outcomeMessage, code: code, signer: signer, rendering: rendering)
        try await recordOutcome(result)
        return result
    }

    /// What `sluice status` shows of every sync, whoever ran it (the agent or the command line):
    /// where the application comes from, and what the sync says of its objects' health (all healthy
    /// when it succeeded, its Health stage having passed; degraded when an object did not become
    /// healthy; other outcomes say nothing new).
    func recordOutcome(_ result: SyncResult) async throws {
        try await ledger.recordSource(
            app: app, repo: source.mirror.url.description, spec: source.spec.description, path: source.path,
            namespace: source.loadOptions.defaultNamespace ?? "")
        switch result.outcome {
        case .succeeded:
            try await ledger.recordHealth(HealthStatus.healthy.rawValue, message: "", app: app)
        case .failed where result.error?.code == .unhealthy:
            try await ledger.recordHealth(HealthStatus.degraded.rawValue, message: result.message, app: app)
        default:
            break
        }
    }

    /// Fetches the ref spec (or `revision`, which must then be reachable from the mirror after a
    /// fetch) and reads the commit.
    public func fetch(revision: String? = nil) async throws -> FetchedRevision {
        try await Self.fetch(source.mirror, spec: source.spec, revision: revision)
    }

    /// ``fetch(revision:)`` from `mirror` alone, before the cluster and the ledger are open.
    public static func fetch(_ mirror: GitMirror, spec: RefSpec, revision: String? = nil) async throws -> FetchedRevision {
        let resolved = try await mirror.update(revision.map { .commit($0) } ?? spec)
        return FetchedRevision(revision: resolved.revision, ref: resolved.ref, commit: try await mirror.commit(resolved.revision))
    }

    /// Fetches the commit a cheap check resolved (no second listing of the refs, which could
    /// disagree with the first) and reads it.
    public func fetch(resolved: ResolvedRevision) async throws -> FetchedRevision {
        let mirror = source.mirror
        let ensured = try await mirror.ensure(resolved)
        return FetchedRevision(revision: ensured.revision, ref: ensured.ref, commit: try await mirror.commit(ensured.revision))
    }

    /// The last applied revision: the cluster's inventory, else the ledger's last success.
    public func baseRevision() async throws -> String? {
        try await lastApplied().revision
    }

    /// The last applied revision (the cluster's inventory, else the ledger's last success) and the
    /// inventory it came from (empty when the application has none).
    func lastApplied() async throws -> (revision: String?, inventory: Inventory) {
        let applied = try await lastAppliedParsing()
        return (applied.revision, await applied.inventory)
    }

    /// The last applied revision, as ``lastApplied()``, with the inventory's object list parsed on
    /// a task of its own: a plan needs the revision first (to compare trees, read the changed
    /// files), the objects only at the end.
    func lastAppliedParsing() async throws -> LastApplied {
        let store = InventoryStore(client: runner.client, app: app, namespace: runner.configuration.inventoryNamespace)
        let stored: StoredInventory?
        do {
            stored = try await store.readUnparsed()
        } catch {
            throw SyncEngineError(.cluster, "cannot read the inventory of \(app): \(error.message)")
        }
        let parsing = Task { stored?.parsed() ?? Inventory() }
        if let revision = stored?.revision { return LastApplied(revision: revision, parsing: parsing) }
        return LastApplied(revision: try await ledger.lastSucceeded(app: app)?.revision, parsing: parsing)
    }

    /// Syncs `fetched`: records `Unchanged` when nothing under the path changed since the last
    /// applied revision and the application's last attempt succeeded; otherwise loads and syncs it.
    ///
    /// By default only `poll` and `webhook` triggers may end as `Unchanged` (SYNC-SEMANTICS.md:
    /// hooks run on a manual sync, a retry and a rollback even when nothing changed); `skipUnchanged`
    /// overrides that (a replay of every commit skips the ones that do not touch the path). A full
    /// sync (``SyncConfiguration/full``) never skips.
    public func sync(_ fetched: FetchedRevision, trigger: Trigger, skipUnchanged: Bool? = nil) async throws -> SyncResult {
        // The inventory's objects are needed only once the manifests are loaded: parsed meanwhile.
        let applied = try await lastAppliedParsing()
        let base = applied.revision
        let author = "\(fetched.commit.author.name) <\(fetched.commit.author.email)>"
        let message = fetched.commit.message.trimmingCharacters(in: .whitespacesAndNewlines)
        // Before anything else looks at the revision: an untrusted one is not applied, and not
        // taken as handled either.
        let signer: String
        switch try await verifySignatures(fetched, base: base) {
        case .success(let verified):
            signer = verified?.description ?? ""
        case .failure(let refusal):
            return try await record(
                revision: fetched.revision, ref: fetched.ref, author: author, message: message, trigger: trigger,
                outcome: .failed, phase: "Verify", outcomeMessage: refusal.message, code: .signatureRefused)
        }
        var changedFiles: [String]? = nil
        if let base, await hasCommit(base) {
            changedFiles = try await source.mirror.changes(from: base, to: fetched.revision, under: source.path).map(\.path)
        }
        let maySkip = skipUnchanged ?? (trigger == .poll || trigger == .webhook)
        if let changedFiles, changedFiles.isEmpty, maySkip, !runner.configuration.full, try await lastAttemptSucceeded()
        {
            let note = base == fetched.revision
                ? "already applied" : "no change under \(source.path.isEmpty ? "the repository root" : source.path) since \(base ?? "")"
            return try await record(
                revision: fetched.revision, ref: fetched.ref, author: author, message: message, trigger: trigger,
                outcome: .unchanged, outcomeMessage: note, signer: signer)
        }
        let manifests: ManifestSet
        var rendering = ""
        do {
            let prepared = try await prepareNoting(at: fetched.revision)
            rendering = prepared.rendering
            let loaded = try await source.load(prepared)
            manifests = loaded.manifests
            try refuseEmpty(loaded, revision: fetched.revision, base: base)
            if !loaded.rendered {
                let hookFiles = Set(manifests.manifests.filter { $0.settings.isHook }.map(\.file))
                try await ledger.recordHookFiles(Array(hookFiles), app: app, revision: fetched.revision)
            }
        } catch let error as ManifestError where !error.isUnavailable {
            // (A chart repository that cannot be reached is thrown on: the revision may be fine.)
            return try await record(
                revision: fetched.revision, ref: fetched.ref, author: author, message: message, trigger: trigger,
                outcome: .failed, phase: "Validate", outcomeMessage: "invalid manifests; nothing was applied:\n" + listed(error),
                signer: signer, rendering: rendering)
        } catch let error as GitSourceError where error.code == .refused {
            // Refused content is this commit's, every time: a recorded attempt with its reason, not
            // a log line repeated at every tick.
            return try await record(
                revision: fetched.revision, ref: fetched.ref, author: author, message: message, trigger: trigger,
                outcome: .failed, phase: "Validate", outcomeMessage: "the source was refused; nothing was applied: \(error.message)",
                code: .sourceRefused)
        } catch let error as SyncEngineError where error.code == .pathNotFound || error.code == .emptyRevision {
            return try await record(
                revision: fetched.revision, ref: fetched.ref, author: author, message: message, trigger: trigger,
                outcome: .failed, phase: "Validate", outcomeMessage: error.message, code: error.code)
        }
        // A person's sync applies every object, as Argo CD's Sync does, so objects that drifted from
        // the revision are put back; the others send only what changed since the last applied one.
        let baseManifests = trigger == .manual ? nil : try await self.baseManifests(base)
        var request = SyncRequest(
            revision: fetched.revision, ref: fetched.ref, author: author, message: message, trigger: trigger,
            manifests: manifests, baseManifests: baseManifests, baseRevision: base)
        request.inventory = await applied.inventory
        request.signer = signer
        request.rendering = rendering
        return try await run(request)
    }

    /// What a sync of `fetched` would do, with server-side dry runs; changes nothing.
    ///
    /// The inventory's objects are needed only at the end, so they are parsed meanwhile.
    ///
    /// - Throws: ``SyncEngineError`` `signatureRefused` when the revision's signature is not trusted.
    public func plan(_ fetched: FetchedRevision) async throws -> PlanReport {
        let applied = try await lastAppliedParsing()
        let base = applied.revision
        if case .failure(let refusal) = try await verifySignatures(fetched, base: base) { throw refusal }
        if let base, !runner.configuration.full, await hasCommit(base) {
            // The ledger's record of the hook files is read while the trees are compared.
            async let recordedHookFiles = ledger.hookFiles(app: app, revision: base)
            let changes = try await source.mirror.changes(from: base, to: fetched.revision, under: source.path)
            if changes.isEmpty, try await lastAttemptSucceeded() {
                var report = PlanReport(revision: fetched.revision, baseRevision: base, changedFiles: [], tasks: [], kept: [])
                report.upToDate = true
                return report
            }
            let touchesKustomize = changes.contains { ApplicationSource.isKustomization($0.path) || $0.oldPath.map(ApplicationSource.isKustomization) == true }
            if !touchesKustomize, let hookFiles = try await recordedHookFiles {
                return try await incrementalPlan(fetched, base: base, applied: applied, changes: changes, hookFiles: hookFiles)
            }
        }
        var changedFiles: [String] = []
        if let base, await hasCommit(base) {
            changedFiles = try await source.mirror.changes(from: base, to: fetched.revision, under: source.path).map(\.path)
        } else {
            changedFiles = try await source.mirror.snapshot(at: fetched.revision, under: source.path).files.map(\.path)
        }
        let loaded = try await loadNoting(at: fetched.revision)
        try refuseEmpty(loaded, revision: fetched.revision, base: base)
        let manifests = loaded.manifests
        var request = SyncRequest(
            revision: fetched.revision, trigger: .manual, manifests: manifests, baseManifests: try await baseManifests(base),
            baseRevision: base)
        request.inventory = await applied.inventory
        return try await runner.plan(request, changedFiles: changedFiles)
    }

    /// The manifests of the application at `revision`.
    public func load(at revision: String) async throws -> ManifestSet {
        try await loadNoting(at: revision).manifests
    }

    /// The manifests at `revision`, with what ``ApplicationSource/load(at:releaseName:capabilities:)``
    /// says of them. A Helm chart is rendered with the application's name as its release name
    /// (unless set) and for the target cluster's version and API versions.
    func loadNoting(at revision: String) async throws -> ApplicationSource.Loaded {
        try await source.load(try await prepareNoting(at: revision))
    }

    /// The files at `revision` read, and how a chart among them will be rendered.
    func prepareNoting(at revision: String) async throws -> ApplicationSource.Prepared {
        let client = runner.client
        return try await source.prepare(at: revision, releaseName: app) {
            do throws(KubeClientError) {
                let served = try await client.apiVersions()
                return HelmCapabilities(kubeVersion: served.kubeVersion, apiVersions: served.apiVersions)
            } catch {
                throw SyncEngineError(.cluster, "cannot read the cluster's version and API versions for Helm: \(error.message)")
            }
        }
    }

    /// A load's problems, one per line, indented, each file named from the repository's root.
    func listed(_ error: ManifestError) -> String {
        error.problems.map { problem in
            var placed = problem
            if !source.path.isEmpty, !problem.file.isEmpty, !problem.file.hasPrefix("/") { placed.file = source.path + "/" + problem.file }
            return "  " + placed.description
        }.joined(separator: "\n")
    }

    /// A sync of nothing is never a success. Before the first sync, a path the revision does not
    /// have throws ``SyncEngineError`` `pathNotFound` (a typo in --path), and a path with no object
    /// throws `emptyRevision` unless `--allow-empty`, naming what it found instead: a Jsonnet or Helm
    /// source Sluice does not render would otherwise "succeed" with nothing applied. Once something
    /// was applied, a revision that removes the path or every object meets the prune guard instead.
    func refuseEmpty(_ loaded: ApplicationSource.Loaded, revision: String, base: String?) throws {
        guard base == nil else { return }
        guard loaded.pathExists else {
            throw SyncEngineError(
                .pathNotFound,
                "the path '\(source.path)' does not exist at \(revision.prefix(12)) of \(source.mirror.url); nothing was applied")
        }
        guard loaded.manifests.manifests.isEmpty, !runner.configuration.allowEmpty else { return }
        let prefix = source.path.isEmpty ? "" : source.path + "/"
        let found = SourceFormats.describe(
            loaded.files.map { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 }, helm: source.loadOptions.helm.enabled)
        let place = source.path.isEmpty ? "the repository root" : "'\(source.path)'"
        throw SyncEngineError(
            .emptyRevision,
            "no Kubernetes objects under \(place) at \(revision.prefix(12)); "
                + (found.isEmpty ? "it holds no files" : "found \(found.joined(separator: ", "))")
                + ". Nothing was applied: "
                + (SourceFormats.advice(loaded.files).map { $0 + "; or " } ?? "")
                + "point --path at the manifests (YAML or JSON, a kustomization or a Helm chart), or give --allow-empty")
    }

    func parse(_ repositoryFiles: [RepositoryFile]) async throws -> ManifestSet {
        try await source.parse(repositoryFiles)
    }

    /// A plan that reads only the changed files and the files with hooks, at both revisions: its
    /// cost follows the size of the change. Objects outside the change are taken to be in place.
    func incrementalPlan(
        _ fetched: FetchedRevision, base: String, applied: LastApplied, changes: [PathChange], hookFiles: [String]
    ) async throws -> PlanReport {
        let prefix = source.path.isEmpty ? "" : source.path + "/"
        let hookPaths = hookFiles.map { prefix + $0 }
        var seen = Set<String>()
        let newPaths = (changes.filter { $0.status != .deleted }.map(\.path) + hookPaths).filter { seen.insert($0).inserted }
        seen.removeAll()
        let oldPaths = (changes.filter { $0.status != .added }.map { $0.oldPath ?? $0.path } + hookPaths).filter { seen.insert($0).inserted }
        // Both revisions' files are read (one after the other, on the mirror's thread) and parsed
        // at once.
        let mirror = source.mirror
        async let parsedNew = parse(try await mirror.files(at: fetched.revision, paths: newPaths))
        async let parsedBase = parse(try await mirror.files(at: base, paths: oldPaths))
        let (newSet, baseSet) = try await (parsedNew, parsedBase)
        let removed = Set(baseSet.manifests.map(\.identity)).subtracting(newSet.manifests.map(\.identity))
        var request = SyncRequest(
            revision: fetched.revision, trigger: .manual, manifests: newSet, baseManifests: baseSet, baseRevision: base,
            removedByChange: removed)
        request.inventory = await applied.inventory
        var report = try await runner.plan(request, changedFiles: changes.map(\.path))
        report.incremental = true
        return report
    }

    /// The manifests of the last applied revision: from Git, else from the ledger's record (whose
    /// Secrets are redacted, so they compare as changed and are sent again).
    func baseManifests(_ base: String?) async throws -> ManifestSet? {
        guard let base else { return nil }
        if await hasCommit(base), let loaded = try? await load(at: base) { return loaded }
        return try? await recordedManifests(base)
    }

    /// The manifests the ledger recorded for `revision`, `nil` when it has none. The ledger keeps no
    /// Secret values, so its Secrets are marked not to be applied: the live ones stay as they are
    /// (and, being in the revision, are not pruned).
    func recordedManifests(_ revision: String) async throws -> ManifestSet? {
        guard let stored = try await ledger.manifests(app: app, revision: revision) else { return nil }
        let options = source.loadOptions
        var set = try await ApplicationSource.offPool { () throws(ManifestError) -> ManifestSet in
            try ManifestLoader.load(files: [ManifestFile(path: "ledger.yaml", bytes: stored)], options: options)
        }
        set.manifests = set.manifests.map { manifest in
            guard Redaction.isRedacted(manifest.object) else { return manifest }
            var kept = manifest
            kept.settings.skip = true
            return kept
        }
        return set
    }

    /// The revisions an every-commit replay syncs up to `head`: each first-parent commit since the
    /// last applied revision, oldest first, then the head.
    public func replayRevisions(to head: FetchedRevision) async throws -> [FetchedRevision] {
        guard let base = try await baseRevision(), base != head.revision else { return [head] }
        let mirror = source.mirror
        var revisions: [FetchedRevision] = []
        for commit in try await mirror.firstParentCommits(from: base, to: head.revision) where commit != head.revision {
            revisions.append(FetchedRevision(revision: commit, ref: head.ref, commit: try await mirror.commit(commit)))
        }
        return revisions + [head]
    }

    func hasCommit(_ revision: String) async -> Bool {
        (try? await source.mirror.commit(revision)) != nil
    }

    func lastAttemptSucceeded() async throws -> Bool {
        guard let last = try await ledger.history(app: app, limit: 5).first(where: { $0.outcome != .unchanged }) else {
            return true
        }
        return last.outcome == .succeeded
    }
}
