import Foundation
import KubeModel
import Ledger
import Manifests
import SyncEngine

/// What a drift check found: the objects whose live state differs from the last applied revision.
public struct DriftReport: Sendable {
    /// The revision compared with.
    public var revision: String
    /// Objects that are missing or differ from what the revision applies (a server-side dry run of
    /// the manifest against the live object), in order.
    public var drifted: [ObjectIdentity]
    /// The health of the managed objects taken together: the worst of them, Argo CD's way
    /// (Healthy, Suspended, Progressing, Missing, Degraded, from best to worst), with the first
    /// object in that state named in the message.
    public var health = Health(.healthy)
}

extension ApplicationSync {
    /// Compares the cluster with the last applied revision by server-side dry runs; changes nothing.
    /// `nil` when nothing has been applied yet.
    public func checkDrift() async throws -> DriftReport? {
        guard let (revision, manifests, inventory) = try await lastAppliedManifests() else { return nil }
        // No base manifests: every object is compared, those in place by their digest and fields
        // (``SyncRunner/plan(_:changedFiles:)``), the others by a dry run.
        var configuration = runner.configuration
        configuration.full = false
        let checker = SyncRunner(client: runner.client, recorder: ledger, configuration: configuration)
        var request = SyncRequest(revision: revision, trigger: .poll, manifests: manifests, baseRevision: revision)
        request.runHooks = false
        request.inventory = inventory
        let report = try await checker.plan(request, changedFiles: [])
        let drifted = report.tasks.filter { !$0.hook && ($0.action == "created" || $0.action == "configured") }
            .map { ObjectIdentity(group: $0.group, kind: $0.kind, namespace: $0.namespace, name: $0.name) }
        var health = Health(.healthy)
        for task in report.tasks where !task.hook {
            guard let found = task.health, found.status.severity > health.status.severity else { continue }
            let object = "\(task.kind) \(task.namespace.isEmpty ? "" : task.namespace + "/")\(task.name)"
            health = Health(found.status, found.message.isEmpty ? object : "\(object): \(found.message)")
        }
        return DriftReport(revision: revision, drifted: drifted, health: health)
    }

    /// Re-applies the drifted objects of the last applied revision, without hooks, recorded with
    /// trigger `self-heal`.
    public func heal(_ report: DriftReport) async throws -> SyncResult? {
        guard let (revision, manifests, inventory) = try await lastAppliedManifests(), revision == report.revision else { return nil }
        let drifted = Set(report.drifted)
        var base = manifests
        base.manifests = manifests.manifests.filter { !drifted.contains($0.identity) }
        var request = SyncRequest(
            revision: revision, ref: "self-heal", trigger: .selfHeal, manifests: manifests, baseManifests: base, baseRevision: revision)
        request.runHooks = false
        request.inventory = inventory
        return try await run(request)
    }

    /// The last applied revision's manifests (from Git, else the ledger, whose Secrets are skipped).
    func lastAppliedManifests() async throws -> (String, ManifestSet, Inventory)? {
        let (base, inventory) = try await lastApplied()
        guard let base, let manifests = try await baseManifests(base) else { return nil }
        return (base, manifests, inventory)
    }
}
