import Foundation
import KubeClient
import KubeModel
import Logging
import Manifests

/// Syncs revisions of one application to a cluster, exactly as Docs/sync.md describes, and records
/// every step through its ``SyncRecorder`` (the ledger).
///
/// ``sync(_:)`` validates and dry-runs, then runs PreSync, Sync (with prunes), Health and PostSync,
/// and on failure deletes `HookFailed` hooks and runs the SyncFail hooks. ``plan(_:)`` works out
/// the same tasks without changing anything.
public struct SyncRunner: Sendable {
    /// The cluster.
    public let client: KubeClient
    /// Where attempts are recorded (the ledger).
    public let recorder: any SyncRecorder
    let recording: Recording
    /// The application and the sync flags.
    public let configuration: SyncConfiguration
    let logger: Logger
    /// Where a sync reports its waits and hooks as they happen; `nil` reports nothing.
    public let progress: SyncProgress?

    /// The application's inventory ConfigMap: one store serves the preparation, the writes ahead
    /// and the final write of every sync.
    let inventoryStore: InventoryStore

    /// A runner for one application.
    public init(
        client: KubeClient, recorder: any SyncRecorder, configuration: SyncConfiguration, logger: Logger = Logger(label: "sluice.sync"),
        progress: SyncProgress? = nil
    ) {
        self.client = client
        self.recorder = recorder
        self.recording = Recording(recorder: recorder)
        self.inventoryStore = InventoryStore(client: client, app: configuration.app, namespace: configuration.inventoryNamespace)
        self.configuration = configuration
        self.logger = logger
        self.progress = progress
    }

    /// Syncs one revision and records it; the result says how it ended.
    ///
    /// A failed sync is a result, not an error: the only errors thrown are the recorder's, because
    /// a sync that cannot be recorded must not go on unrecorded. One sync of an application at a
    /// time is the caller's to ensure (the delivery layer holds a lock per application).
    public func sync(_ request: SyncRequest) async throws -> SyncResult {
        do {
            return try await syncRecorded(request)
        } catch let failure as Recording.Failure {
            throw failure.underlying
        }
    }

    private func syncRecorded(_ request: SyncRequest) async throws -> SyncResult {
        let started = Date()
        let attemptStart = Int64(started.timeIntervalSince1970)
        let attempt = try await recording.beginAttempt(
            app: configuration.app, revision: request.revision, ref: request.ref, author: request.author,
            message: request.message, trigger: request.trigger)
        do {
            if !request.signer.isEmpty { try await recording.recordSigner(request.signer, for: attempt) }
            if !request.rendering.isEmpty { try await recording.recordRendering(request.rendering, for: attempt) }
            return try await sync(request, attempt: attempt, attemptStart: attemptStart)
        } catch let failure as Recording.Failure {
            // Nothing more was sent after the failed write (no hook starts unrecorded); the attempt
            // is ended as soon as the recorder can be written again.
            await recorder.abandon(attempt, reason: "the sync stopped: the ledger could not be written (\(failure.underlying))")
            throw failure
        }
    }

    private func sync(_ request: SyncRequest, attempt: AttemptID, attemptStart: Int64) async throws -> SyncResult {
        try await recording.recordManifests(Array(Redaction.ledgerText(request.manifests).utf8), for: attempt)
        try await recording.enterPhase("Validate", of: attempt)

        if request.runHooks {
            _ = await releaseStaleHooks([request.manifests] + (request.baseManifests.map { [$0] } ?? []))
        }
        var preparation: SyncPreparation
        do {
            preparation = try await SyncPreparation.prepare(
                request: request, configuration: configuration, client: client, attemptStart: attemptStart, store: inventoryStore)
            preparation.warnings = try await validate(preparation, attempt: attempt)
        } catch let error as Recording.Failure {
            throw error
        } catch {
            let failure = error as? SyncEngineError
                ?? (error is CancellationError
                    ? SyncEngineError(.cancelled, "the sync was cancelled") : SyncEngineError(.cluster, "\(error)"))
            try await recording.finishAttempt(attempt, outcome: .failed, message: failure.message)
            return SyncResult(attempt: attempt, outcome: .failed, message: failure.message, error: failure)
        }

        for task in preparation.plan.skipped {
            _ = try await recording.beginTask(
                in: attempt, phase: task.phase.rawValue, wave: task.wave, object: task.identity,
                hook: task.isHook, action: .skipped, status: .skipped, message: "not applied: \(Self.skipReason(task))")
        }

        let execution = SyncExecution(
            client: client, recording: recording, configuration: configuration, request: request, attempt: attempt,
            preparation: preparation, inventoryStore: inventoryStore, logger: logger, progress: progress)
        var failure: SyncEngineError?
        // Stopped from outside (`--timeout`, SIGTERM, a superseding commit) rather than failed by
        // something of its own (a hook, health, an apply): the delete policies read differently.
        var stopped = false
        do {
            try await Self.withDeadline(configuration.timeout, what: "the sync") { try await execution.runStages() }
        } catch let error as Recording.Failure {
            throw error
        } catch let passed as DeadlinePassed {
            failure = passed.error
            stopped = true
        } catch let error as SyncEngineError {
            failure = error
        } catch is CancellationError {
            failure = SyncEngineError(.cancelled, "the sync was cancelled")
        } catch {
            failure = SyncEngineError(.applyFailed, "\(error)")
        }
        if let current = failure, current.code == .cancelled || Task.isCancelled { stopped = true }

        // The end of a sync runs whatever happens to the task that started it: a sync stopped by a
        // shutdown (SIGTERM) or a superseding commit still stops its hooks, runs SyncFail within a
        // grace period of its own, writes the inventory and records how it ended.
        let outcome = failure
        let wasStopped = stopped
        let ending = Task {
            try await self.end(execution, preparation: preparation, request: request, attempt: attempt, failure: outcome, stopped: wasStopped)
        }
        return try await ending.value
    }

    /// Stops what still runs, applies the delete policies, runs SyncFail after a failure, writes
    /// the inventory and records the outcome.
    ///
    /// A sync that failed deletes every completed hook with `HookFailed` (Argo CD's rule: the
    /// policy follows the sync's result). A sync that was stopped deletes only the hooks still
    /// running (their finalizers released first); a hook that completed before the stop is judged
    /// by its own result, so one that succeeded keeps a `HookFailed` policy's meaning and stays.
    private func end(
        _ execution: SyncExecution, preparation: SyncPreparation, request: SyncRequest, attempt: AttemptID, failure: SyncEngineError?,
        stopped: Bool
    ) async throws -> SyncResult {
        var failure = failure
        if let failure {
            try await execution.stopRunningHooks()
            try await execution.closeOpenTasks("stopped: \(failure.message)")
            let finished = await execution.finishedHooks
            if stopped {
                try await execution.applyDeletePolicy(.hookSucceeded, hooks: finished.filter(\.succeeded))
                try await execution.applyDeletePolicy(.hookFailed, hooks: finished.filter { !$0.succeeded })
            } else {
                try await execution.applyDeletePolicy(.hookFailed, hooks: finished)
            }
            // A cancelled sync's SyncFail hooks get the stop grace period, not the whole hook timeout
            // (after `--timeout` nobody is waiting to exit, so they get their own limit).
            let limit = stopped && failure.code != .timeout ? configuration.stopGrace : nil
            try await runSyncFail(execution, preparation: preparation, limit: limit)
        } else {
            try await execution.applyDeletePolicy(.hookSucceeded, hooks: await execution.finishedHooks)
        }

        let changes = await execution.changes
        var inventory = await execution.inventorySoFar()
        if failure == nil { inventory.revision = request.revision }
        var outcomeMessage = failure?.message ?? ""
        do {
            try await inventoryStore.write(inventory)
        } catch {
            // The objects are applied; only the record of them failed. Say so: the next sync re-applies.
            if failure == nil { failure = SyncEngineError(.cluster, "cannot write the inventory: \(error.message)") }
            outcomeMessage = [outcomeMessage, "cannot write the inventory: \(error.message)"].filter { !$0.isEmpty }.joined(separator: "; ")
        }
        try await recording.recordChanges(Self.sorted(changes), for: attempt)
        let outcome: Outcome = failure == nil ? .succeeded : .failed
        try await recording.finishAttempt(attempt, outcome: outcome, message: outcomeMessage)
        logger.info(
            "sync finished",
            metadata: ["app": "\(configuration.app)", "revision": "\(request.revision)", "outcome": "\(outcome.rawValue)"])
        var result = SyncResult(attempt: attempt, outcome: outcome, message: outcomeMessage, changes: Self.sorted(changes), error: failure)
        result.phases = await execution.phaseDurations(until: .now)
        result.hooks = await execution.hookDurations
        return result
    }

    /// Records an attempt that ended before anything was applied: manifests that cannot be loaded
    /// (`Failed` at `Validate`), a signature that is refused (`Failed` at `Verify`), or a revision
    /// that changes nothing for the application (`Unchanged`); `signer` is who signed it, when
    /// verified, and `rendering` how it was rendered (a chart's settings), when it was.
    public func record(
        revision: String, ref: String = "", author: String = "", message: String = "", trigger: Trigger,
        outcome: Outcome, phase: String? = nil, outcomeMessage: String, code: SyncEngineError.Code = .invalidManifests, signer: String = "",
        rendering: String = ""
    ) async throws -> SyncResult {
        let attempt = try await recorder.beginAttempt(
            app: configuration.app, revision: revision, ref: ref, author: author, message: message, trigger: trigger)
        if !signer.isEmpty { try await recorder.recordSigner(signer, for: attempt) }
        if !rendering.isEmpty { try await recorder.recordRendering(rendering, for: attempt) }
        if let phase { try await recorder.enterPhase(phase, of: attempt) }
        try await recorder.finishAttempt(attempt, outcome: outcome, message: outcomeMessage)
        let error = outcome == .failed ? SyncEngineError(code, outcomeMessage) : nil
        return SyncResult(attempt: attempt, outcome: outcome, message: outcomeMessage, error: error)
    }

    /// Runs every SyncFail hook at once and waits for them (bounded by the hook or SyncFail timeout);
    /// their failure is recorded but the sync is failed either way.
    func runSyncFail(_ execution: SyncExecution, preparation: SyncPreparation, limit: Duration? = nil) async throws {
        let hooks = preparation.plan.syncFailTasks
        guard !hooks.isEmpty else { return }
        try await execution.enter("SyncFail")
        let before = await execution.finishedHooks.count
        let bound = min(configuration.hookTimeout ?? configuration.syncFailTimeout, limit ?? .seconds(365 * 24 * 3600))
        do {
            try await Self.withDeadline(bound, what: "the SyncFail hooks") {
                try await execution.deleteBeforeCreation(hooks.filter { SyncExecution.policies($0).contains(.beforeHookCreation) })
                let sent = try await execution.apply(hooks)
                try await execution.waitForHooks(sent)
            }
        } catch let error as Recording.Failure {
            throw error
        } catch {
            try await execution.stopRunningHooks()
            try await execution.closeOpenTasks("SyncFail hook stopped: \(error)")
        }
        let ran = Array(await execution.finishedHooks.dropFirst(before))
        try await execution.applyDeletePolicy(.hookSucceeded, hooks: ran.filter(\.succeeded))
        try await execution.applyDeletePolicy(.hookFailed, hooks: ran.filter { !$0.succeeded })
    }

    /// Server-side dry runs of every object that will be sent: an object the server rejects fails
    /// the sync before anything is applied. The emptied-revision guard ran in the preparation.
    /// Before them, objects another application tracks refuse the sync (``refuseSharedObjects(_:attempt:)``).
    /// Returns the warnings the server sent with each dry run.
    @discardableResult
    func validate(_ preparation: SyncPreparation, attempt: AttemptID?) async throws -> [ObjectIdentity: [String]] {
        try await validateKeepingDryRuns(preparation, attempt: attempt).warnings
    }

    /// ``validate(_:attempt:)``, also returning the server's answer to each server-side apply dry
    /// run, by ``SyncExecution/hookKey(_:)``: a plan compares them with the live objects instead of
    /// asking again.
    func validateKeepingDryRuns(
        _ preparation: SyncPreparation, attempt: AttemptID?
    ) async throws -> (warnings: [ObjectIdentity: [String]], dryRuns: [String: JSONValue]) {
        try await refuseSharedObjects(preparation, attempt: attempt)
        let plan = preparation.plan
        let tasks = (plan.tasks + plan.syncFailTasks).filter { preparation.needsSend($0) }
        let namespaces = Set(
            plan.tasks.filter { $0.kind == "Namespace" && $0.groupKind.group.isEmpty }.map(\.name)
                + (configuration.createNamespace.map { [$0.name] } ?? []))
        let definedKinds = Set(
            plan.tasks.filter { $0.groupKind == GroupKind(group: "apiextensions.k8s.io", kind: "CustomResourceDefinition") }
                .compactMap { task -> GroupKind? in
                    guard let group = task.manifest.object[path: ["spec", "group"]]?.stringValue,
                        let kind = task.manifest.object[path: ["spec", "names", "kind"]]?.stringValue
                    else { return nil }
                    return GroupKind(group: group, kind: kind)
                })
        var seen = Set<String>()
        let unique = tasks.filter { seen.insert("\($0.identity)").inserted }
        let results = try await BoundedConcurrency.map(unique, limit: configuration.concurrency, over: client) { task -> (SyncTask, DryRunOutcome, [String]) in
            let warnings = ServerWarnings()
            let outcome = await ServerWarnings.$current.withValue(warnings) {
                await self.dryRun(task, namespaces: namespaces, definedKinds: definedKinds, live: preparation.live[task.identity])
            }
            return (task, outcome, warnings.messages)
        }
        var warnings: [ObjectIdentity: [String]] = [:]
        var dryRuns: [String: JSONValue] = [:]
        for (task, outcome, messages) in results {
            if !messages.isEmpty { warnings[task.identity, default: []] += messages }
            if let applied = outcome.applied { dryRuns[SyncExecution.hookKey(task)] = applied }
        }
        let problems = results.compactMap { task, outcome, _ in outcome.message.map { (task, $0) } }.sorted { TaskOrder.precedes($0.0, $1.0) }
        guard !problems.isEmpty else { return (warnings, dryRuns) }
        if let attempt {
            for (task, message) in problems {
                _ = try await recording.beginTask(
                    in: attempt, phase: task.phase.rawValue, wave: task.wave, object: task.identity,
                    hook: task.isHook, action: .skipped, status: .failed, message: message)
            }
        }
        let listed = problems.prefix(10).map { "\($0.1)" }.joined(separator: "; ")
        let more = problems.count > 10 ? " (and \(problems.count - 10) more)" : ""
        throw SyncEngineError(
            .validationFailed,
            "the server rejected \(problems.count) object\(problems.count == 1 ? "" : "s") in a dry run; nothing was applied: \(listed)\(more)")
    }

    /// What one task's dry run said: `message` is nil when the server accepted it (or it cannot
    /// be judged until an earlier task runs); `applied` is the server's answer to a server-side
    /// apply dry run that it accepted.
    struct DryRunOutcome {
        var message: String?
        var applied: JSONValue?
    }

    /// The dry run of one task.
    func dryRun(_ task: SyncTask, namespaces: Set<String>, definedKinds: Set<GroupKind>, live: JSONValue? = nil) async -> DryRunOutcome {
        let object = Tracking.marked(task.object, app: configuration.app, identity: task.identity, hook: task.isHook)
        let options = task.manifest.settings.options
        do {
            if task.isHook && SyncExecution.policies(task).contains(.beforeHookCreation) {
                _ = try await client.create(object, dryRun: true)
            } else if options.clientSideApply && !options.replace {
                _ = try await client.applyClientSide(object, live: live, validate: options.validate, dryRun: true)
            } else {
                return DryRunOutcome(applied: try await client.apply(object, dryRun: true))
            }
            return DryRunOutcome()
        } catch let error {
            switch error.code {
            case .alreadyExists where task.isHook:
                return DryRunOutcome()
            case .notFound where !task.namespace.isEmpty && (namespaces.contains(task.namespace) || options.createNamespace):
                return DryRunOutcome()
            case .notServed where definedKinds.contains(task.groupKind) || options.skipDryRunOnMissingResource,
                .notFound where definedKinds.contains(task.groupKind) || options.skipDryRunOnMissingResource:
                return DryRunOutcome()
            case .invalid where options.force, .conflict where options.force:
                return DryRunOutcome()
            default:
                return DryRunOutcome(message: "\(task.manifest.file): \(task.kind) \(task.namespace.isEmpty ? "" : task.namespace + "/")\(task.name): \(error.message)")
            }
        }
    }

    static func skipReason(_ task: SyncTask) -> String {
        if Redaction.isRedacted(task.manifest.object) {
            return "the ledger keeps no Secret values, so the live Secret stays as it is"
        }
        return task.manifest.settings.skip ? "the hook annotation says Skip" : "its hook phase is not one Sluice runs"
    }

    static func sorted(_ changes: ChangeSet) -> ChangeSet {
        ChangeSet(
            created: changes.created.sorted(), configured: changes.configured.sorted(), unchanged: changes.unchanged.sorted(),
            pruned: changes.pruned.sorted())
    }

    /// The error ``withDeadline(_:what:_:)`` throws when its limit passed: a ``SyncEngineError``
    /// `timeout` that callers can tell from a timeout inside the operation (a health wait's).
    struct DeadlinePassed: Error, CustomStringConvertible {
        var error: SyncEngineError
        var description: String { error.description }
    }

    /// Runs `operation`, cancelling it and throwing ``DeadlinePassed`` when `limit` passes first.
    static func withDeadline(_ limit: Duration?, what: String, _ operation: @escaping @Sendable () async throws -> Void) async throws {
        guard let limit else { return try await operation() }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await operation()
                return true
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return false
            }
            defer { group.cancelAll() }
            guard let finished = try await group.next(), finished else {
                throw DeadlinePassed(error: SyncEngineError(.timeout, "\(what) ran over its timeout of \(SyncExecution.text(limit))"))
            }
        }
    }
}
