import Foundation
import KubeClient
import KubeModel
import Manifests

extension SyncRunner {
    /// What a sync of `request` would do, worked out with server-side dry runs; changes nothing and
    /// records nothing.
    ///
    /// Each task's action: `created` when the object does not exist, `configured` when the dry run
    /// of the object differs from the live one, `unchanged` otherwise (objects unchanged since the
    /// last applied revision and present are not dry-run at all); prunes are `pruned` in the wave
    /// they would run in, skipped objects `skipped`. Hooks are `created` (they run again), or
    /// `configured`/`unchanged` for a named hook without `BeforeHookCreation` that still exists.
    ///
    /// - Throws: ``SyncEngineError`` when the cluster cannot be read, the revision would prune
    ///   everything, or the server rejects an object in the dry run.
    public func plan(_ request: SyncRequest, changedFiles: [String]) async throws -> PlanReport {
        let attemptStart = Int64(Date().timeIntervalSince1970)
        let preparation = try await SyncPreparation.prepare(
            request: request, configuration: configuration, client: client, attemptStart: attemptStart, store: inventoryStore)
        let dryRuns = try await validateKeepingDryRuns(preparation, attempt: nil).dryRuns

        let stages = SyncStage.stages(groups: preparation.plan.groups, prunes: preparation.prunePlan)
        let sent = stages.flatMap(\.tasks).filter { preparation.needsSend($0) }
        let planned = try await BoundedConcurrency.map(sent, limit: configuration.concurrency, over: client) { task in
            (SyncExecution.hookKey(task), try await self.plannedAction(task, preparation: preparation, dryRun: dryRuns[SyncExecution.hookKey(task)]))
        }
        let actions = Dictionary(planned, uniquingKeysWith: { first, _ in first })
        var entries: [PlanReport.Entry] = []
        if let namespace = configuration.createNamespace {
            entries.append(try await plannedNamespace(namespace, firstTask: preparation.plan.tasks.first))
        }
        for stage in stages {
            for prune in stage.prunes {
                let identity = prune.identity
                entries.append(
                    .init(
                        phase: stage.phase.rawValue, wave: stage.wave, group: identity.group, kind: identity.kind,
                        namespace: identity.namespace, name: identity.name, hook: false, action: "pruned"))
            }
            for task in stage.tasks {
                entries.append(
                    .init(
                        phase: task.phase.rawValue, wave: task.wave, group: task.groupKind.group, kind: task.kind,
                        namespace: task.namespace, name: task.name, hook: task.isHook,
                        action: actions[SyncExecution.hookKey(task)]?.action ?? "unchanged",
                        health: actions[SyncExecution.hookKey(task)]?.health))
            }
        }
        for task in preparation.plan.skipped {
            entries.append(
                .init(
                    phase: task.phase.rawValue, wave: task.wave, group: task.groupKind.group, kind: task.kind,
                    namespace: task.namespace, name: task.name, hook: task.isHook, action: "skipped"))
        }
        return PlanReport(
            revision: request.revision, baseRevision: request.baseRevision, changedFiles: changedFiles, tasks: entries,
            kept: preparation.prunePlan.kept.map(\.description))
    }

    /// `created`, `configured` or `unchanged` for one task that would be sent, with the live
    /// object's health (not for hooks). `dryRun` is the validation's server-side apply dry run of
    /// the task, which is compared with the live object instead of a second dry run.
    func plannedAction(_ task: SyncTask, preparation: SyncPreparation, dryRun validated: JSONValue? = nil) async throws -> (action: String, health: Health?) {
        let missing = task.isHook ? nil : Health(.missing)
        guard let gvk = task.manifest.object.groupVersionKind else { return ("created", missing) }
        let live: JSONValue?
        if let indexed = preparation.live[task.identity] {
            live = indexed
        } else {
            do {
                live = try await client.getIfPresent(gvk, task.identity)
            } catch {
                if error.code == .notServed { return ("created", missing) }
                throw SyncEngineError(.cluster, error.message)
            }
        }
        guard let live else { return ("created", missing) }
        let health = task.isHook ? nil : HealthCheck.health(of: live)
        if task.isHook && SyncExecution.policies(task).contains(.beforeHookCreation) { return ("created", nil) }
        let object = Tracking.marked(task.object, app: configuration.app, identity: task.identity, hook: task.isHook)
        let dryRun: JSONValue
        do {
            let options = task.manifest.settings.options
            if let validated {
                dryRun = validated
            } else if options.clientSideApply && !options.replace {
                dryRun = try await client.applyClientSide(object, live: live, validate: options.validate, dryRun: true)
            } else {
                dryRun = try await client.apply(object, dryRun: true)
            }
        } catch {
            return ("configured", health)  // Replace/Force objects the server refuses to patch are re-created
        }
        return (Self.comparable(dryRun) == Self.comparable(live) ? "unchanged" : "configured", health)
    }

    /// The application's namespace as the sync would send it first: `created` when missing,
    /// `configured` when its labels or annotations would change, else `unchanged`.
    func plannedNamespace(_ namespace: ManagedNamespace, firstTask: SyncTask?) async throws -> PlanReport.Entry {
        let live: JSONValue?
        do {
            live = try await client.getIfPresent(ManagedNamespace.gvk, namespace.identity)
        } catch {
            throw SyncEngineError(.cluster, "cannot read the namespace \(namespace.name): \(error.message)")
        }
        var action = "created"
        if let live {
            let dryRun = try? await client.apply(namespace.object, dryRun: true)
            action = dryRun.map { Self.comparable($0) == Self.comparable(live) } == true ? "unchanged" : "configured"
        }
        let wave = firstTask?.phase == .preSync ? min(firstTask?.wave ?? 0, 0) : 0
        return PlanReport.Entry(
            phase: HookPhase.preSync.rawValue, wave: wave, group: "", kind: "Namespace", namespace: "", name: namespace.name, hook: false,
            action: action)
    }

    /// The object without the fields every write changes, nor Sluice's digest (an object applied
    /// before Sluice kept one has not drifted for lacking it).
    static func comparable(_ object: JSONValue) -> JSONValue {
        var object = object
        object[path: ["metadata", "managedFields"]] = nil
        object[path: ["metadata", "resourceVersion"]] = nil
        object[path: ["metadata", "generation"]] = nil
        if object[path: ["metadata", "annotations", Tracking.digestAnnotation]] != nil {
            object[path: ["metadata", "annotations", Tracking.digestAnnotation]] = nil
        }
        return object
    }
}
