import KubeModel
import Foundation

/// What the ledger keeps about one application besides its attempts: its source, whether it is
/// suspended and why, and the agent's last check.
public struct ApplicationRecord: Sendable, Hashable {
    /// The application's name.
    public var app: String
    /// The repository (credentials removed), ref spec and path the agent follows.
    public var repo: String
    public var spec: String
    public var path: String
    /// The default namespace of its objects (`""` when not recorded).
    public var namespace: String = ""
    /// True while suspended: the agent checks nothing and syncs nothing for it.
    public var suspended: Bool
    /// Why it was suspended (or resumed).
    public var reason: String
    /// When it was last suspended or resumed.
    public var suspendedAt: Date?
    /// The agent's last check of the source, the commit it saw, and when it checks next.
    public var lastCheckAt: Date?
    public var lastSeenRevision: String?
    public var nextCheckAt: Date?
    /// Revisions a rollback quarantined: the agent does not apply them again.
    public var quarantined: Set<String> = []
    /// The objects (`group/kind/namespace/name`) that differed from the last applied revision at the
    /// last drift check, and when it ran.
    public var drift: [String] = []
    public var driftCheckedAt: Date?
    /// A digest of the settings the agent last ran the application with (`""` when unknown).
    public var settings: String = ""
    /// The health of the managed objects (`Healthy`, `Progressing`, `Degraded`, `Suspended`,
    /// `Missing`; `""` before it is known), why, and when the agent found it.
    public var health: String = ""
    public var healthMessage: String = ""
    public var healthCheckedAt: Date?
    /// The last error's class (`fetch`, `stalled`, `sync`, `transient`; `""` when the last
    /// reconcile went well), what it said, and when.
    public var errorClass: String = ""
    public var error: String = ""
    public var errorAt: Date?
    /// The revision the application stalled on (`""` when not stalled): not retried until a new
    /// commit or new settings.
    public var stalledRevision: String = ""
}

extension Ledger {
    /// Records where an application comes from and a digest of its settings (the agent does at
    /// start; a `nil` digest keeps the one recorded); keeps its suspension.
    public func recordSource(
        app: String, repo: String, spec: String, path: String, namespace: String = "", settings: String? = nil
    ) async throws {
        if let settings {
            try await upsert(
                app, "record the source of \(app)", ["repo": repo, "spec": spec, "path": path, "namespace": namespace, "settings": settings])
        } else {
            try await upsert(app, "record the source of \(app)", ["repo": repo, "spec": spec, "path": path, "namespace": namespace])
        }
    }

    /// Records the health of the application's managed objects, found now.
    public func recordHealth(_ health: String, message: String, app: String) async throws {
        try await upsert(
            app, "record the health of \(app)",
            ["health": health, "healthMessage": message, "healthCheckedAt": Ledger.milliseconds(now())])
    }

    /// Suspends or resumes an application, with the reason.
    public func setSuspended(_ suspended: Bool, app: String, reason: String) async throws {
        try await upsert(
            app, "\(suspended ? "suspend" : "resume") \(app)",
            ["suspended": suspended, "reason": reason, "suspendedAt": Ledger.milliseconds(now())])
    }

    /// Records an agent's check of an application's source (a `nil` revision keeps the last one seen).
    public func recordCheck(app: String, seen revision: String?, next: Date?) async throws {
        try await upsert(
            app, "record a check of \(app)",
            ["lastCheckAt": Ledger.milliseconds(now()), "lastSeenRevision": revision, "nextCheckAt": next.map(Ledger.milliseconds)],
            keepingWhenNull: ["lastSeenRevision"])
    }

    /// Records the last error of an application with its class, and the revision it stalled on
    /// (`stalledRevision` for a `stalled` error, else empty).
    public func recordError(_ errorClass: String, _ message: String, stalledRevision: String = "", app: String) async throws {
        try await upsert(
            app, "record the error of \(app)",
            ["errorClass": errorClass, "error": message, "errorAt": Ledger.milliseconds(now()), "stalledRevision": stalledRevision])
    }

    /// Clears the last error (a reconcile went well).
    public func clearError(app: String) async throws {
        try await upsert(app, "clear the error of \(app)", ["errorClass": "", "error": "", "errorAt": nil, "stalledRevision": ""])
    }

    /// Sets the revisions the agent must not apply again (a rollback's quarantine); empty clears it.
    public func setQuarantined(_ revisions: Set<String>, app: String) async throws {
        try await upsert(app, "record the quarantine of \(app)", ["quarantined": revisions.sorted().joined(separator: "\n")])
    }

    /// Records a drift check: the objects that differ from the last applied revision (empty: none).
    public func recordDrift(_ objects: [String], app: String) async throws {
        try await upsert(
            app, "record the drift of \(app)",
            ["drift": objects.sorted().joined(separator: "\n"), "driftCheckedAt": Ledger.milliseconds(now())])
    }

    /// Sets `columns` of the application's record, creating the record when there is none; the other
    /// columns keep their values. A column in `keepingWhenNull` keeps its value when given `nil`.
    private func upsert(
        _ app: String, _ what: String, _ columns: KeyValuePairs<String, (any LedgerBindable)?>,
        keepingWhenNull: Set<String> = []
    ) async throws {
        let names = columns.map(\.key)
        let assignments = names.map { name in
            keepingWhenNull.contains(name) ? "\(name) = COALESCE(excluded.\(name), \(name))" : "\(name) = excluded.\(name)"
        }
        let sql = """
            INSERT INTO application (app, \(names.joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: names.count)))
            ON CONFLICT(app) DO UPDATE SET \(assignments.joined(separator: ", "))
            """
        let arguments: [any LedgerBindable] = [app] + columns.map { $0.value?.ledgerValue ?? LedgerValue.null }
        try await writing(what) { db in
            try await db.execute(sql, arguments)
        }
    }

    /// One application's record, or `nil` when the ledger has none.
    public func application(_ app: String) async throws -> ApplicationRecord? {
        try await reading("read the record of \(app)") { db in
            try await db.row("SELECT * FROM application WHERE app = ?", [app]).map(ApplicationRecord.init(row:))
        }
    }

    /// Every application's record, by name.
    public func applicationRecords() async throws -> [ApplicationRecord] {
        try await reading("read the applications") { db in
            try await db.rows("SELECT * FROM application ORDER BY app").map(ApplicationRecord.init(row:))
        }
    }
}

extension ApplicationRecord {
    init(row: LedgerRow) throws {
        func date(_ column: String) throws -> Date? { (try row[column] as Int64?).map { Ledger.date(milliseconds: $0) } }
        self.init(
            app: try row["app"], repo: try row["repo"], spec: try row["spec"], path: try row["path"], namespace: try row["namespace"] as String? ?? "",
            suspended: try row["suspended"],
            reason: try row["reason"], suspendedAt: try date("suspendedAt"), lastCheckAt: try date("lastCheckAt"),
            lastSeenRevision: try row["lastSeenRevision"], nextCheckAt: try date("nextCheckAt"),
            quarantined: Set((try row["quarantined"] as String? ?? "").split(separator: "\n").map(String.init)),
            drift: (try row["drift"] as String? ?? "").split(separator: "\n").map(String.init), driftCheckedAt: try date("driftCheckedAt"),
            settings: try row["settings"] as String? ?? "", health: try row["health"] as String? ?? "",
            healthMessage: try row["healthMessage"] as String? ?? "", healthCheckedAt: try date("healthCheckedAt"),
            errorClass: try row["errorClass"] as String? ?? "", error: try row["error"] as String? ?? "", errorAt: try date("errorAt"),
            stalledRevision: try row["stalledRevision"] as String? ?? "")
    }
}
