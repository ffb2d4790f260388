import Foundation
import KubeModel

extension Ledger {
    /// The applications the ledger knows (with attempts or a record), sorted by name.
    public func knownApps() async throws -> [String] {
        var names = Set(try await apps())
        names.formUnion(try await applicationRecords().map(\.app))
        return names.sorted()
    }

    /// Where each of `apps` stands, as `sluice status --output json` and `GET /api/v1/apps` print it:
    /// per application `app`, `repo`, `spec`, `path`, `suspended`, `reason`, `suspendedAt`,
    /// `lastSeenRevision`, `lastCheckAt`, `nextCheckAt`, `lastAppliedRevision`, `lastAppliedAt`,
    /// `lastOutcome`, `lastOutcomeAt`, `lastRevision`, `message`, `health`, `healthMessage`,
    /// `healthCheckedAt`, `drift` (objects) and `driftCheckedAt`, `errorClass` (`fetch`, `stalled`,
    /// `sync`, `transient`; `null` when the last reconcile went well), `error`, `errorAt`, `stalled`,
    /// `stalledRevision` and `quarantined`; times in RFC 3339, `null` when unknown.
    public func statusJSON(apps: [String]) async throws -> [JSONValue] {
        let records = Dictionary(uniqueKeysWithValues: try await applicationRecords().map { ($0.app, $0) })
        var entries: [JSONValue] = []
        for name in apps {
            let last = try await history(app: name, limit: 1).first
            let applied = try await lastSucceeded(app: name)
            entries.append(Ledger.statusEntry(app: name, record: records[name], last: last, applied: applied))
        }
        return entries
    }

    /// One application's entry of ``statusJSON(apps:)``, from its record, its latest attempt and its
    /// latest `Succeeded` one (what the agent's status snapshot keeps in memory, too).
    public static func statusEntry(app name: String, record: ApplicationRecord?, last: Attempt?, applied: Attempt?) -> JSONValue {
        func time(_ date: Date?) -> JSONValue { date.map { .string(RFC3339.string(from: $0)) } ?? .null }
        return [
            "app": .string(name),
            "repo": .string(record?.repo ?? ""),
            "spec": .string(record?.spec ?? ""),
            "path": .string(record?.path ?? ""),
            "namespace": .string(record?.namespace ?? ""),
            "suspended": .bool(record?.suspended ?? false),
            "reason": .string(record?.reason ?? ""),
            "suspendedAt": time(record?.suspendedAt),
            "lastSeenRevision": record?.lastSeenRevision.map(JSONValue.string) ?? .null,
            "lastCheckAt": time(record?.lastCheckAt),
            "nextCheckAt": time(record?.nextCheckAt),
            "lastAppliedRevision": applied.map { .string($0.revision) } ?? .null,
            "lastAppliedAt": time(applied?.finishedAt),
            "lastOutcome": last.map { .string($0.outcome.rawValue) } ?? .null,
            "lastOutcomeAt": time(last?.finishedAt ?? last?.startedAt),
            "lastRevision": last.map { .string($0.revision) } ?? .null,
            "message": .string(last?.outcomeMessage ?? ""),
            // The phase a sync still running is in (the agent's status adds what it waits for).
            "phase": last.flatMap { $0.outcome == .running ? $0.phaseReached.map(JSONValue.string) : nil } ?? .null,
            "health": record.map { $0.health.isEmpty ? .null : .string($0.health) } ?? .null,
            "healthMessage": .string(record?.healthMessage ?? ""),
            "healthCheckedAt": time(record?.healthCheckedAt),
            "drift": .array((record?.drift ?? []).map(JSONValue.string)),
            "driftCheckedAt": time(record?.driftCheckedAt),
            "errorClass": record.map { $0.errorClass.isEmpty ? .null : .string($0.errorClass) } ?? .null,
            "error": .string(record?.error ?? ""),
            "errorAt": time(record?.errorAt),
            "stalled": .bool(!(record?.stalledRevision.isEmpty ?? true)),
            "stalledRevision": record.map { $0.stalledRevision.isEmpty ? .null : .string($0.stalledRevision) } ?? .null,
            "quarantined": .array((record?.quarantined ?? []).sorted().map(JSONValue.string)),
        ]
    }
}
