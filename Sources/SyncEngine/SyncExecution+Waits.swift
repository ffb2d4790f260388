import Foundation
import KubeClient
import KubeModel
import Manifests

extension SyncExecution {
    /// Waits until every object is healthy (or has no health check), up to the health timeout.
    /// Degraded fails at once; still progressing at the timeout fails.
    func waitHealthy(_ tasks: [SyncTask], phase: String) async throws {
        let started = ContinuousClock.now
        let timeout = configuration.healthTimeout
        // Objects of one kind in one namespace share a watch when there are many of them.
        var byKind: [String: (GroupVersionKind, String, [ObjectIdentity])] = [:]
        for task in tasks where HealthCheck.hasHealthCheck(task.groupKind) {
            guard let gvk = task.manifest.object.groupVersionKind else { continue }
            byKind["\(gvk.groupVersion.apiVersion)/\(gvk.kind)/\(task.namespace)", default: (gvk, task.namespace, [])].2.append(task.identity)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (gvk, namespace, identities) in byKind.values {
                if identities.count > Self.sharedWatchThreshold {
                    group.addTask {
                        try await self.waitHealthy(
                            gvk, namespace: namespace, names: Set(identities.map(\.name)), started: started, timeout: timeout, phase: phase)
                    }
                    continue
                }
                for identity in identities {
                    group.addTask {
                        try await self.waitHealthy(gvk, identity, started: started, timeout: timeout, phase: phase)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Above this many objects of one kind in one namespace, a health wait uses one watch for them all.
    static let sharedWatchThreshold = 8

    nonisolated func waitHealthy(
        _ gvk: GroupVersionKind, namespace: String, names: Set<String>, started: ContinuousClock.Instant, timeout: Duration, phase: String
    ) async throws {
        let where_ = namespace.isEmpty ? "" : namespace + "/"
        var tick: (@Sendable ([String: JSONValue?]) -> Void)?
        if progress != nil {
            tick = { waiting in
                guard let name = waiting.keys.min() else { return }
                let state: JSONValue? = waiting[name] ?? nil
                let others = waiting.count - 1
                let more = others > 0 ? " (and \(others) more \(gvk.kind) in \(namespace.isEmpty ? "the cluster" : namespace))" : ""
                let text = "waiting for \(gvk.kind) \(where_)\(name): \(HealthCheck.waitingText(state))\(more) "
                self.report(.waiting(text + SyncProgress.elapsed(since: started, limit: timeout)), phase: phase)
            }
        }
        let results: [String: Health] = try await waiter.waitAll(
            gvk, namespace: namespace, names: names, deadline: started + timeout, every: progress?.interval ?? .seconds(5), tick: tick,
            describe: { waiting in
                let listed = waiting.keys.sorted().prefix(5).map { name in
                    "\(gvk.kind) \(where_)\(name): \(HealthCheck.health(of: waiting[name] ?? nil))"
                }
                return "\(waiting.count) object\(waiting.count == 1 ? "" : "s") did not become healthy within \(Self.text(timeout)): "
                    + listed.joined(separator: "; ") + (waiting.count > 5 ? "; …" : "")
            },
            judge: { live in
                let health = HealthCheck.health(of: live)
                switch health.status {
                case .healthy, .suspended, .degraded: return .done(health)
                case .progressing, .missing: return .wait
                }
            })
        if let (name, health) = results.sorted(by: { $0.key < $1.key }).first(where: { $0.value.status == .degraded }) {
            throw SyncEngineError(.unhealthy, "\(gvk.kind) \(where_)\(name) is Degraded: \(health.message)")
        }
    }

    nonisolated func waitHealthy(
        _ gvk: GroupVersionKind, _ identity: ObjectIdentity, started: ContinuousClock.Instant, timeout: Duration, phase: String
    ) async throws {
        let label = "\(identity.kind) \(identity.namespace.isEmpty ? "" : identity.namespace + "/")\(identity.name)"
        var tick: (@Sendable (JSONValue?) -> Void)?
        if progress != nil {
            tick = { live in
                let text = "waiting for \(label): \(HealthCheck.waitingText(live)) "
                self.report(.waiting(text + SyncProgress.elapsed(since: started, limit: timeout)), phase: phase)
            }
        }
        let health: Health = try await waiter.wait(
            gvk, namespace: identity.namespace, name: identity.name, deadline: started + timeout, every: progress?.interval ?? .seconds(5),
            tick: tick,
            describe: { live in "\(label) did not become healthy within \(Self.text(timeout)): \(HealthCheck.health(of: live))" },
            judge: { live in
                let health = HealthCheck.health(of: live)
                switch health.status {
                case .healthy, .suspended, .degraded: return .done(health)
                case .progressing, .missing: return .wait
                }
            })
        if health.status == .degraded {
            throw SyncEngineError(.unhealthy, "\(label) is Degraded: \(health.message)")
        }
    }

    /// Before PostSync and before success: the objects that were not sent (unchanged) must be healthy too.
    func waitForUnchangedHealth() async throws {
        try await enter("Health")
        var waits: [SyncTask] = []
        for task in preparation.plan.tasks where task.phase == .sync && !task.isHook && appliedObjects[task.identity] == nil {
            guard HealthCheck.hasHealthCheck(task.groupKind) else { continue }
            if let live = preparation.live[task.identity], HealthCheck.health(of: live).status == .healthy { continue }
            waits.append(task)
        }
        try await waitHealthy(waits, phase: "Health")
    }

    // MARK: Hooks

    /// Waits for each hook to complete (up to its timeout), captures its Pod logs into the ledger,
    /// removes the hook finalizer, and records the result. Every hook is waited for; the first failure
    /// is thrown after all have ended.
    func waitForHooks(_ hooks: [SyncTask]) async throws {
        var failures: [SyncEngineError] = []
        await withTaskGroup(of: SyncEngineError?.self) { group in
            for hook in hooks {
                group.addTask {
                    do {
                        try await self.waitForHook(hook)
                        return nil
                    } catch let error as SyncEngineError {
                        return error
                    } catch is CancellationError {
                        return SyncEngineError(.cancelled, "the sync stopped while hook \(hook.name) ran")
                    } catch let error as KubeClientError where error.code == .cancelled {
                        // A request the stop cancelled (its transfer, or its wait for a slot).
                        return SyncEngineError(.cancelled, "the sync stopped while hook \(hook.name) ran")
                    } catch {
                        return SyncEngineError(.hookFailed, "\(hook.kind) \(hook.name): \(error)")
                    }
                }
            }
            for await failure in group {
                if let failure { failures.append(failure) }
            }
        }
        if let first = failures.first(where: { $0.code != .cancelled }) ?? failures.first { throw first }
    }

    func waitForHook(_ hook: SyncTask) async throws {
        guard let gvk = hook.manifest.object.groupVersionKind, let (ledgerTask, action) = hookTasks[Self.hookKey(hook)] else { return }
        let limit = hook.manifest.settings.hookTimeout ?? configuration.hookTimeout
        let started = ContinuousClock.now
        let deadline = limit.map { started + $0 } ?? started + .seconds(365 * 24 * 3600)
        let label = "\(hook.phase) hook \(hook.kind) \(hook.name)"
        let phase = hook.phase.rawValue
        let progressLabel = "hook \(hook.phase) \(hook.kind) \(hook.namespace.isEmpty ? "" : hook.namespace + "/")\(hook.name)"
        if progress != nil { report(.hook("\(progressLabel): running"), phase: phase) }
        let output = progress?.followHooks == true ? await HookOutputFollower.start(execution: self, hook: hook) : nil
        var tick: (@Sendable (JSONValue?) -> Void)?
        if progress != nil {
            tick = { _ in self.report(.hook("\(progressLabel): running " + SyncProgress.elapsed(since: started, limit: limit)), phase: phase) }
        }
        let completion: HookCompletion
        do {
            completion = try await waiter.wait(
                gvk, namespace: hook.namespace, name: hook.name, deadline: deadline, every: progress?.interval ?? .seconds(5), tick: tick,
                describe: { _ in "\(label) ran over its timeout of \(limit.map(Self.text) ?? "none")" },
                judge: { live in
                    guard let live else { return .done(.failed("the hook was deleted before it completed")) }
                    let completion = HookCompletion.of(live)
                    return completion == .running ? .wait : .done(completion)
                })
        } catch let error as SyncEngineError where error.code == .timeout {
            hookFinished(hook)
            await output?.finish()
            if progress != nil { report(.hook("\(progressLabel): ran over its timeout " + SyncProgress.elapsed(since: started, limit: limit)), phase: phase) }
            try await captureLogs(hook, into: ledgerTask)
            try await stopHook(hook)
            try await finish(ledgerTask, .failed, action: action, message: error.message)
            finishedHooks.append((hook, false))
            throw SyncEngineError(.hookFailed, error.message)
        } catch {
            await output?.stop()
            throw error
        }
        hookFinished(hook)
        await output?.finish()
        if progress != nil { report(.hook("\(progressLabel): \(completion) " + SyncProgress.elapsed(since: started, limit: nil)), phase: phase) }
        try await captureLogs(hook, into: ledgerTask)
        try await releaseFinalizer(hook)
        runningHooks[Self.hookKey(hook)] = nil
        switch completion {
        case .succeeded, .running:
            finishedHooks.append((hook, true))
            try await finish(ledgerTask, .succeeded, action: action)
        case .failed(let message):
            finishedHooks.append((hook, false))
            try await finish(ledgerTask, .failed, action: action, message: message)
            throw SyncEngineError(.hookFailed, "\(label) failed: \(message)")
        }
    }

    /// Removes the hook finalizer so the hook can go (its result has been read).
    func releaseFinalizer(_ hook: SyncTask) async throws {
        guard let gvk = hook.manifest.object.groupVersionKind else { return }
        for _ in 0..<5 {
            guard let live = try await client.getIfPresent(gvk, hook.identity) else { return }
            guard live.finalizers.contains(Tracking.hookFinalizer) else { return }
            let remaining = live.finalizers.filter { $0 != Tracking.hookFinalizer }
            let patch: JSONValue = [
                "metadata": ["finalizers": .array(remaining.map(JSONValue.string)), "resourceVersion": .string(live.resourceVersion ?? "")],
            ]
            if try await client.mergePatchUnlessConflict(gvk, hook.identity, patch: patch) { return }
        }
    }

    /// Stops a hook that ran over its time: releases the finalizer and deletes it (its Pods with it).
    func stopHook(_ hook: SyncTask) async throws {
        runningHooks[Self.hookKey(hook)] = nil
        try await releaseFinalizer(hook)
        guard let gvk = hook.manifest.object.groupVersionKind else { return }
        try await client.deleteIfPresent(gvk, hook.identity)
    }

    /// Stops every hook still running when the sync ends early (stopped, or failed elsewhere),
    /// capturing their logs first; the finalizer is released before the deletion.
    ///
    /// Each is read once more first: a hook that completed while the sync was being stopped is not
    /// deleted for the stop but recorded with its own result, like any finished hook, so that its
    /// delete policies decide (Argo CD's terminate does the same).
    func stopRunningHooks() async throws {
        for (key, hook) in runningHooks.sorted(by: { $0.key < $1.key }) {
            let ledger = hookTasks[key]
            if let gvk = hook.manifest.object.groupVersionKind, let live = try? await client.getIfPresent(gvk, hook.identity),
                live.deletionTimestamp == nil
            {
                let completion = HookCompletion.of(live)
                if completion != .running {
                    runningHooks[key] = nil
                    hookFinished(hook)
                    if let (ledgerTask, action) = ledger {
                        try await captureLogs(hook, into: ledgerTask)
                        if case .failed(let message) = completion {
                            try await finish(ledgerTask, .failed, action: action, message: message)
                        } else {
                            try await finish(ledgerTask, .succeeded, action: action)
                        }
                    }
                    try await releaseFinalizer(hook)
                    finishedHooks.append((hook, completion == .succeeded))
                    continue
                }
            }
            if let (ledgerTask, _) = ledger { try await captureLogs(hook, into: ledgerTask) }
            try await stopHook(hook)
        }
    }

    /// Reads the logs of the hook's Pods (a Job's Pods, or the Pod itself) into its ledger task.
    func captureLogs(_ hook: SyncTask, into ledgerTask: TaskID) async throws {
        // Logs are best effort: a hook's result never depends on them.
        guard let pods = try? await hookPods(hook), !pods.isEmpty else { return }
        var text = ""
        for pod in pods {
            let containers = (pod[path: ["spec", "initContainers"]]?.arrayValue ?? []) + (pod[path: ["spec", "containers"]]?.arrayValue ?? [])
            for container in containers {
                guard let name = container["name"]?.stringValue, let podName = pod.name else { continue }
                guard let log = try? await client.logs(namespace: pod.namespace, pod: podName, container: name, limitBytes: configuration.logLimitBytes),
                    !log.isEmpty
                else { continue }
                text += "--- pod/\(podName) container \(name)\n" + log + (log.hasSuffix("\n") ? "" : "\n")
            }
        }
        if !text.isEmpty { try await recording.appendLog(text, to: ledgerTask) }
    }

    static let podKind = GroupVersionKind(group: "", version: "v1", kind: "Pod")

    /// Where a hook's Pods are: a Job's by its `job-name` label, a Pod hook itself by name; `nil`
    /// for other kinds (they have no Pods, so no logs).
    nonisolated func hookPodQuery(_ hook: SyncTask) -> (namespace: String, name: String?, selector: String?)? {
        let namespace = hook.namespace.isEmpty ? client.defaultNamespace : hook.namespace
        switch (hook.groupKind.group, hook.groupKind.kind) {
        case ("batch", "Job"): return (namespace, nil, "job-name=\(hook.name)")
        case ("", "Pod"): return (namespace, hook.name, nil)
        default: return nil
        }
    }

    /// The hook's Pods as they are now, by name.
    nonisolated func hookPods(_ hook: SyncTask) async throws -> [JSONValue] {
        guard let query = hookPodQuery(hook) else { return [] }
        if let name = query.name { return [try await client.get(Self.podKind, namespace: query.namespace, name: name)] }
        return try await client.list(Self.podKind, namespace: query.namespace, labelSelector: query.selector).items
            .sorted { ($0.name ?? "") < ($1.name ?? "") }
    }

    /// Deletes the hooks of a stage that say `BeforeHookCreation` and still exist, and waits until they are gone.
    func deleteBeforeCreation(_ hooks: [SyncTask]) async throws {
        for hook in hooks {
            guard let gvk = hook.manifest.object.groupVersionKind, let live = try await client.getIfPresent(gvk, hook.identity) else { continue }
            if live.finalizers.contains(Tracking.hookFinalizer) { try await releaseFinalizer(hook) }
            guard try await client.deleteIfPresent(gvk, hook.identity) else { continue }
            try await waiter.waitGone(gvk, namespace: hook.namespace, name: hook.name, deadline: .now + configuration.healthTimeout)
        }
    }

    /// Deletes finished hooks whose policies include `policy` (`HookSucceeded` after a success,
    /// `HookFailed` after a failure), recording each deletion.
    func applyDeletePolicy(_ policy: DeletePolicy, hooks: [(task: SyncTask, succeeded: Bool)]) async throws {
        for (hook, _) in hooks where Self.policies(hook).contains(policy) {
            guard let gvk = hook.manifest.object.groupVersionKind else { continue }
            let ledgerTask = try await begin(hook.phase, wave: hook.wave, hook.identity, hook: true, action: .deleted)
            do {
                try await releaseFinalizer(hook)
                let deleted = try await client.deleteIfPresent(gvk, hook.identity)
                try await finish(ledgerTask, .succeeded, message: deleted ? "deleted by its \(policy) policy" : "already gone")
            } catch let error as KubeClientError {
                try await finish(ledgerTask, .failed, message: error.message)
            }
        }
    }

    // MARK: Prune

    /// Deletes the objects of one prune wave at once and waits until they are gone.
    func prune(_ prunes: [PruneTask]) async throws {
        guard !prunes.isEmpty else { return }
        var failures: [SyncEngineError] = []
        await withTaskGroup(of: SyncEngineError?.self) { group in
            for prune in prunes {
                group.addTask {
                    do {
                        try await self.pruneOne(prune)
                        return nil
                    } catch let error as SyncEngineError {
                        return error
                    } catch {
                        return SyncEngineError(.pruneFailed, "\(prune.identity): \(error)")
                    }
                }
            }
            for await failure in group {
                if let failure { failures.append(failure) }
            }
        }
        if let first = failures.first { throw first }
    }

    func pruneOne(_ prune: PruneTask) async throws {
        let identity = prune.identity
        let ledgerTask = try await begin(.sync, wave: prune.wave, identity, hook: false, action: .pruned)
        do {
            guard let gvk = try await client.preferredVersion(of: identity.groupKind) else {
                pruned.insert(identity)
                try await finish(ledgerTask, .succeeded, message: "its kind is no longer served")
                return
            }
            try await client.deleteIfPresent(gvk, identity)
            try await waiter.waitGone(gvk, namespace: identity.namespace, name: identity.name, deadline: .now + configuration.healthTimeout)
            pruned.insert(identity)
            changes.pruned.append(identity)
            try await finish(ledgerTask, .succeeded)
        } catch let error as KubeClientError {
            try await finish(ledgerTask, .failed, message: error.message)
            throw SyncEngineError(.pruneFailed, "cannot prune \(identity): \(error.message)")
        } catch let error as SyncEngineError {
            try await finish(ledgerTask, .failed, message: error.message)
            throw SyncEngineError(.pruneFailed, error.message)
        }
    }

    nonisolated static func text(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        let milliseconds = duration.components.attoseconds / 1_000_000_000_000_000
        if seconds == 0 { return "\(milliseconds)ms" }
        // A limit such as `1500ms` must not be shown as `1s` (nor 3600.5 s as `1h`): keep the fraction, as Go does.
        if milliseconds != 0 {
            var fraction = String(milliseconds)
            fraction = String(repeating: "0", count: max(0, 3 - fraction.count)) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            return "\(seconds).\(fraction)s"
        }
        if seconds >= 3600, seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds >= 60, seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
