import Foundation
import KubeClient
import KubeModel
import Logging
import Manifests

/// One sync attempt being executed: the state it builds up as it goes (what was applied, which hooks
/// ran, which ledger tasks are open), owned by one actor so concurrent applies inside a run can
/// record their results safely.
actor SyncExecution {
    let client: KubeClient
    let recording: Recording
    let configuration: SyncConfiguration
    let request: SyncRequest
    let attempt: AttemptID
    let preparation: SyncPreparation
    let inventoryStore: InventoryStore
    let logger: Logger
    let waiter: ObjectWaiter
    /// Where waits, hooks and (when followed) hook output are reported as they happen.
    let progress: SyncProgress?

    /// Objects applied (created or configured) in this attempt: they join the inventory.
    var applied = Set<ObjectIdentity>()
    /// Objects written into the inventory before they were sent (``writeAhead(_:)``).
    var writtenAhead = Set<ObjectIdentity>()
    var pruned = Set<ObjectIdentity>()
    var changes = ChangeSet()
    /// Live objects as the apply answered, for the health waits.
    var appliedObjects: [ObjectIdentity: (GroupVersionKind, SyncTask)] = [:]
    /// Hooks that were created and reached a result, with it: the delete policies act on them.
    var finishedHooks: [(task: SyncTask, succeeded: Bool)] = []
    /// Hooks still running, for a timeout to stop.
    var runningHooks: [String: SyncTask] = [:]
    /// Ledger tasks not finished yet, closed as failed when the sync stops early.
    var openTasks = Set<TaskID>()
    var phase: String?
    /// When each phase started, in order.
    var phaseStarts: [(phase: String, at: ContinuousClock.Instant)] = []
    /// When each hook was sent, by ``hookKey(_:)``, and how long the finished ones ran.
    var hookStarts: [String: ContinuousClock.Instant] = [:]
    var hookDurations: [(phase: String, duration: Duration)] = []

    init(
        client: KubeClient, recording: Recording, configuration: SyncConfiguration, request: SyncRequest, attempt: AttemptID,
        preparation: SyncPreparation, inventoryStore: InventoryStore, logger: Logger, progress: SyncProgress? = nil
    ) {
        self.inventoryStore = inventoryStore
        self.client = client
        self.recording = recording
        self.configuration = configuration
        self.request = request
        self.attempt = attempt
        self.preparation = preparation
        self.logger = logger
        self.waiter = ObjectWaiter(client: client)
        self.progress = progress
    }

    nonisolated var app: String { configuration.app }

    // MARK: Recording

    func enter(_ phase: String) async throws {
        guard self.phase != phase else { return }
        self.phase = phase
        phaseStarts.append((phase, .now))
        try await recording.enterPhase(phase, of: attempt)
        logger.info("phase", metadata: ["app": "\(app)", "revision": "\(request.revision)", "phase": "\(phase)"])
        switch progress?.sink {
        case .report(let report), .log(also: .some(let report)): report(.phase(phase))
        case .log(also: nil), nil: break
        }
    }

    /// Tells the progress sink (or, for ``SyncProgress/log(interval:)``, the log) what is happening.
    nonisolated func report(_ event: SyncProgress.Event, phase: String) {
        switch progress?.sink {
        case .report(let report):
            report(event)
        case .log(let also):
            logger.info("\(event.line)", metadata: ["app": "\(app)", "revision": "\(request.revision)", "phase": "\(phase)"])
            also?(event)
        case nil:
            break
        }
    }

    func begin(_ phase: HookPhase, wave: Int, _ identity: ObjectIdentity, hook: Bool, action: TaskAction) async throws -> TaskID {
        let id = try await recording.beginTask(
            in: attempt, phase: phase.rawValue, wave: wave, object: identity, hook: hook, action: action)
        openTasks.insert(id)
        return id
    }

    func finish(_ task: TaskID, _ status: TaskStatus, action: TaskAction? = nil, message: String? = nil) async throws {
        openTasks.remove(task)
        try await recording.updateTask(task, status: status, action: action, message: message)
    }

    /// Closes every task still open as failed with `message` (the sync stopped under them).
    func closeOpenTasks(_ message: String) async throws {
        for task in openTasks.sorted() {
            try await recording.updateTask(task, status: .failed, message: message)
        }
        openTasks.removeAll()
    }

    // MARK: Running

    /// Runs the stages (the application's namespace, PreSync, Sync with prunes, Health, PostSync)
    /// in order; throws the first failure.
    func runStages() async throws {
        try await createManagedNamespace()
        let stages = SyncStage.stages(groups: preparation.plan.groups, prunes: preparation.prunePlan)
        var healthChecked = false
        for stage in stages {
            if stage.phase == .postSync, !healthChecked {
                try await waitForUnchangedHealth()
                healthChecked = true
            }
            try Task.checkCancellation()
            try await run(stage)
            await saveProgress()
        }
        if !healthChecked { try await waitForUnchangedHealth() }
    }

    /// How long each phase took, the last until `end`.
    func phaseDurations(until end: ContinuousClock.Instant) -> [(phase: String, duration: Duration)] {
        phaseStarts.enumerated().map { index, start in
            (start.phase, (index + 1 < phaseStarts.count ? phaseStarts[index + 1].at : end) - start.at)
        }
    }

    /// Notes that a hook finished (either way): how long it ran since it was sent.
    func hookFinished(_ hook: SyncTask) {
        guard let start = hookStarts.removeValue(forKey: Self.hookKey(hook)) else { return }
        hookDurations.append((hook.phase.rawValue, .now - start))
    }

    /// The inventory as this attempt leaves it so far: what it listed, less what was forgotten and
    /// pruned, with every object applied or about to be (the revision stays the last one applied
    /// in full). An object written ahead whose apply failed stays listed: it may exist, and pruning
    /// one that does not is a no-op.
    func inventorySoFar() -> Inventory {
        var inventory = preparation.inventory
        inventory.objects.subtract(preparation.forgotten)
        inventory.objects.formUnion(applied)
        inventory.objects.formUnion(writtenAhead)
        inventory.objects.subtract(pruned)
        return inventory
    }

    /// Records what this attempt applied and pruned so far in the inventory, after each stage.
    func saveProgress() async {
        guard !applied.isSubset(of: preparation.inventory.objects) || !pruned.isEmpty else { return }
        do {
            try await inventoryStore.write(inventorySoFar())
        } catch {
            logger.warning(
                "cannot record progress in the inventory; the sync goes on",
                metadata: ["app": "\(app)", "revision": "\(request.revision)", "error": "\(error.message)"])
        }
    }

    /// Writes `tasks`' objects into the inventory before any is sent, so that a sync killed at any
    /// point (or one whose final inventory write fails) leaves every object it may have created
    /// prunable by the next sync. Nothing is sent when this write fails.
    func writeAhead(_ tasks: [SyncTask]) async throws {
        let identities = Set(tasks.filter { !$0.isHook && preparation.needsSend($0) }.map(\.identity))
        guard !identities.isSubset(of: preparation.inventory.objects.union(writtenAhead)) else { return }
        writtenAhead.formUnion(identities)
        do {
            try await inventoryStore.write(inventorySoFar())
        } catch {
            throw SyncEngineError(
                .cluster,
                "cannot record the objects about to be applied in the inventory \(inventoryStore.namespace)/\(inventoryStore.name); "
                    + "nothing more was sent: \(error.message)")
        }
    }

    /// One stage: prunes, `BeforeHookCreation` deletions, runs one after another, then the waits.
    func run(_ stage: SyncStage) async throws {
        try await enter(stage.phase.rawValue)
        try await prune(stage.prunes)
        try await deleteBeforeCreation(stage.tasks.filter { $0.isHook && Self.policies($0).contains(.beforeHookCreation) })
        var toWatch: [SyncTask] = []
        var hooks: [SyncTask] = []
        for run in stage.runs {
            try await writeAhead(run.tasks)
            let sent = try await apply(run.tasks)
            // A custom resource may follow its definition in the same group: it is served only once
            // the definition is Established, so wait for that before the next run.
            let definitions = sent.filter { !$0.isHook && $0.groupKind == GroupKind(group: "apiextensions.k8s.io", kind: "CustomResourceDefinition") }
            if !definitions.isEmpty { try await waitHealthy(definitions, phase: stage.phase.rawValue) }
            toWatch += sent.filter { !$0.isHook }
            hooks += sent.filter(\.isHook)
        }
        try await waitHealthy(toWatch, phase: stage.phase.rawValue)
        try await waitForHooks(hooks)
    }

    /// Applies the tasks of one run concurrently (at most `concurrency` at once); returns the tasks sent.
    /// Every task finishes before the first failure is thrown.
    func apply(_ tasks: [SyncTask]) async throws -> [SyncTask] {
        let pending = tasks.filter { preparation.needsSend($0) }
        for task in tasks where !preparation.needsSend(task) {
            changes.unchanged.append(task.identity)
        }
        var failures: [any Error] = []
        var sent: [SyncTask] = []
        // The ledger lists the run's tasks in plan order, whatever order they finish in.
        var ledgerTasks: [String: TaskID] = [:]
        for task in pending {
            ledgerTasks[Self.hookKey(task)] = try await begin(task.phase, wave: task.wave, task.identity, hook: task.isHook, action: .created)
        }
        let tasksByKey = ledgerTasks
        let outcomes = try await BoundedConcurrency.map(pending, limit: configuration.concurrency, over: client) { task -> (SyncTask, (any Error)?) in
            do {
                guard let ledgerTask = tasksByKey[Self.hookKey(task)] else { throw SyncEngineError(.applyFailed, "no ledger task for \(task)") }
                try await self.applyOne(task, ledgerTask: ledgerTask)
                return (task, nil)
            } catch {
                return (task, error)
            }
        }
        for (task, error) in outcomes {
            if let error { failures.append(error) } else { sent.append(task) }
        }
        if let first = failures.first(where: { !($0 is CancellationError) }) ?? failures.first { throw first }
        return tasks.filter { task in sent.contains(where: { $0.identity == task.identity && $0.phase == task.phase }) }
    }

    /// Applies one task's object and records it.
    func applyOne(_ task: SyncTask, ledgerTask: TaskID) async throws {
        let identity = task.identity
        guard let gvk = task.manifest.object.groupVersionKind else {
            try await finish(ledgerTask, .failed, message: "\(task.manifest.file): \(identity) has no apiVersion or kind")
            throw SyncEngineError(.applyFailed, "\(task.manifest.file): \(identity) has no apiVersion or kind")
        }
        do {
            if task.manifest.settings.options.createNamespace, !task.namespace.isEmpty {
                try await ensureNamespace(task.namespace)
            }
            let existing: JSONValue?
            if let live = preparation.live[identity], !task.isHook {
                existing = live
            } else {
                existing = try await currentObject(gvk, identity)
            }
            let object = Tracking.marked(task.object, app: app, identity: identity, hook: task.isHook)
            if task.isHook {
                runningHooks[Self.hookKey(task)] = task
                hookStarts[Self.hookKey(task)] = .now
            }
            let warnings = ServerWarnings()
            let result = try await ServerWarnings.$current.withValue(warnings) {
                try await send(object, gvk: gvk, identity: identity, options: task.manifest.settings.options, existing: existing)
            }
            let warned = Self.warningText((preparation.warnings[identity] ?? []) + warnings.messages)
            let action: TaskAction
            if existing == nil {
                action = .created
            } else if existing?.resourceVersion == result.resourceVersion {
                action = .unchanged
            } else {
                action = .configured
            }
            if !task.isHook {
                switch action {
                case .created: changes.created.append(identity)
                case .configured: changes.configured.append(identity)
                default: changes.unchanged.append(identity)
                }
                applied.insert(identity)
                appliedObjects[identity] = (gvk, task)
                try await finish(ledgerTask, .succeeded, action: action, message: warned)
            } else {
                hookTasks[Self.hookKey(task)] = (ledgerTask, action)
            }
        } catch let error as KubeClientError {
            if task.isHook { runningHooks[Self.hookKey(task)] = nil }
            let message = "\(task.manifest.file): \(error.message)"
            try await finish(ledgerTask, .failed, message: message)
            throw SyncEngineError(error.code == .unreachable ? .cluster : .applyFailed, message)
        } catch {
            if task.isHook { runningHooks[Self.hookKey(task)] = nil }
            try? await finish(ledgerTask, .failed, message: "\(error)")
            throw error
        }
    }

    /// The server's warnings about an object (from its dry run and its apply), as its ledger task's
    /// message; nil when there were none.
    static func warningText(_ warnings: [String]) -> String? {
        var seen = Set<String>()
        let unique = warnings.filter { seen.insert($0).inserted }
        guard !unique.isEmpty else { return nil }
        return "the server warned: " + unique.joined(separator: "; ")
    }

    /// Hooks sent and not yet finished: their ledger task and what the apply did.
    var hookTasks: [String: (TaskID, TaskAction)] = [:]

    static func hookKey(_ task: SyncTask) -> String { "\(task.phase)/\(task.identity)" }

    /// The object as the cluster has it now, or `nil`.
    func currentObject(_ gvk: GroupVersionKind, _ identity: ObjectIdentity) async throws(KubeClientError) -> JSONValue? {
        try await client.getIfPresent(gvk, identity)
    }

    /// Sends an object: server-side apply, or with `Replace=true` a create or replace; `Force=true`
    /// deletes and re-creates an object the server refuses to change in place.
    func send(
        _ object: JSONValue, gvk: GroupVersionKind, identity: ObjectIdentity, options: SyncOptions, existing: JSONValue?
    ) async throws -> JSONValue {
        if options.replace {
            guard let existing else { return try await client.create(object) }
            if options.force { return try await recreate(object, gvk: gvk, identity: identity) }
            var replacement = object
            replacement.resourceVersion = existing.resourceVersion
            return try await client.replace(replacement)
        }
        if options.clientSideApply {
            return try await client.applyClientSide(object, live: existing, validate: options.validate, dryRun: false)
        }
        let result: Result<JSONValue, KubeClientError>
        do {
            result = .success(try await client.apply(object))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let applied):
            return applied
        case .failure(let error):
            guard options.force, error.code == .invalid || error.code == .conflict else { throw error }
            return try await recreate(object, gvk: gvk, identity: identity)
        }
    }

    /// Deletes the object, waits until it is gone, and creates it again.
    func recreate(_ object: JSONValue, gvk: GroupVersionKind, identity: ObjectIdentity) async throws -> JSONValue {
        try await client.deleteIfPresent(gvk, identity)
        try await waiter.waitGone(gvk, namespace: identity.namespace, name: identity.name, deadline: .now + configuration.healthTimeout)
        return try await client.create(object)
    }

    func ensureNamespace(_ name: String) async throws {
        try await client.ensureNamespace(name)
    }

    static func policies(_ task: SyncTask) -> Set<DeletePolicy> {
        let policies = task.manifest.settings.deletePolicies
        return policies.isEmpty ? [.beforeHookCreation] : policies
    }
}
