import KubeModel
import Foundation
import GRDB

extension Ledger {
    /// Records a task of a running attempt, next in execution order, started now.
    ///
    /// A task recorded with a final status (`Succeeded`, `Failed`, `Skipped`) is finished at once.
    public func beginTask(
        in attempt: AttemptID,
        phase: String,
        wave: Int,
        object: ObjectIdentity,
        hook: Bool,
        action: TaskAction,
        status: TaskStatus = .running,
        message: String = ""
    ) async throws -> TaskID {
        let stamp = Ledger.milliseconds(now())
        let finished: Int64? = status == .running ? nil : stamp
        let id = try await writing("record a task of attempt \(attempt)") { db in
            let highest = try Int.fetchOne(
                db, sql: "SELECT MAX(position) FROM task WHERE attemptId = ?", arguments: [attempt.rawValue])
            try db.execute(
                sql: """
                    INSERT INTO task (attemptId, position, phase, wave, objectGroup, kind, namespace, name,
                                      hook, action, status, message, startedAt, finishedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    attempt.rawValue, (highest ?? 0) + 1, phase, wave, object.group, object.kind,
                    object.namespace, object.name, hook, action.rawValue, status.rawValue, message, stamp, finished,
                ]
            )
            return db.lastInsertedRowID
        }
        return TaskID(id)
    }

    /// Updates a task's status (and optionally its action and message); a final status sets its
    /// finish time from the ledger's clock.
    public func updateTask(
        _ task: TaskID,
        status: TaskStatus,
        action: TaskAction? = nil,
        message: String? = nil
    ) async throws {
        let stamp = Ledger.milliseconds(now())
        let finished: Int64? = status == .running ? nil : stamp
        try await writing("update task \(task)") { db in
            try db.execute(
                sql: """
                    UPDATE task SET status = ?, finishedAt = ?, action = COALESCE(?, action),
                                    message = COALESCE(?, message)
                    WHERE id = ?
                    """,
                arguments: [status.rawValue, finished, action?.rawValue, message, task.rawValue]
            )
            guard db.changesCount == 1 else { throw LedgerError(.notFound, "no task \(task) in the ledger \(self.path)") }
        }
    }

    /// Appends hook Pod log text to a task's log (call before the hook is deleted).
    ///
    /// The stored log keeps at most ``logLimit`` bytes: the end is kept, and reading it back starts
    /// with a note saying how many earlier bytes were cut. The text is stored as given: redact
    /// secrets before calling.
    public func appendLog(_ text: String, to task: TaskID) async throws {
        let limit = logLimit
        try await writing("record the log of task \(task)") { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT log, logDroppedBytes FROM task WHERE id = ?", arguments: [task.rawValue])
            else { throw LedgerError(.notFound, "no task \(task) in the ledger \(self.path)") }
            let existing: String? = row["log"]
            let capped = LogCap.append(
                text, to: existing ?? "", alreadyDropped: row["logDroppedBytes"], limit: limit)
            try db.execute(
                sql: "UPDATE task SET log = ?, logDroppedBytes = ? WHERE id = ?",
                arguments: [capped.kept, capped.dropped, task.rawValue]
            )
        }
    }

    /// The tasks of an attempt in execution order.
    public func tasks(of attempt: AttemptID) async throws -> [TaskRecord] {
        try await reading("read the tasks of attempt \(attempt)") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM task WHERE attemptId = ? ORDER BY position", arguments: [attempt.rawValue]
            ).map(TaskRecord.init(row:))
        }
    }

    /// Records the change set of an attempt, replacing any recorded before.
    public func recordChanges(_ changes: ChangeSet, for attempt: AttemptID) async throws {
        try await writing("record the change set of attempt \(attempt)") { db in
            try db.execute(sql: "DELETE FROM change WHERE attemptId = ?", arguments: [attempt.rawValue])
            for (change, keys) in changes.labelled {
                for (position, key) in keys.enumerated() {
                    try db.execute(
                        sql: """
                            INSERT INTO change (attemptId, change, position, objectGroup, kind, namespace, name)
                            VALUES (?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [attempt.rawValue, change, position, key.group, key.kind, key.namespace, key.name]
                    )
                }
            }
        }
    }

    /// The change set of an attempt (all lists empty when none was recorded).
    public func changes(of attempt: AttemptID) async throws -> ChangeSet {
        try await reading("read the change set of attempt \(attempt)") { db in
            var changes = ChangeSet()
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM change WHERE attemptId = ? ORDER BY change, position",
                arguments: [attempt.rawValue])
            for row in rows {
                let key = ObjectIdentity(group: row["objectGroup"], kind: row["kind"], namespace: row["namespace"], name: row["name"])
                switch row["change"] as String {
                case "created": changes.created.append(key)
                case "configured": changes.configured.append(key)
                case "unchanged": changes.unchanged.append(key)
                case "pruned": changes.pruned.append(key)
                default: throw LedgerError(.corrupt, "attempt \(attempt) has a change of unknown type")
                }
            }
            return changes
        }
    }
}

extension ChangeSet {
    /// The four lists with the names the ledger and the JSON use.
    var labelled: [(String, [ObjectIdentity])] {
        [("created", created), ("configured", configured), ("unchanged", unchanged), ("pruned", pruned)]
    }
}

extension TaskRecord {
    init(row: Row) throws {
        let actionText: String = row["action"]
        let statusText: String = row["status"]
        let id: Int64 = row["id"]
        guard let action = TaskAction(rawValue: actionText), let status = TaskStatus(rawValue: statusText) else {
            throw LedgerError(.corrupt, "task \(id) has an unknown action or status")
        }
        let finished: Int64? = row["finishedAt"]
        let kept: String? = row["log"]
        self.init(
            id: TaskID(id),
            attempt: AttemptID(row["attemptId"]),
            position: row["position"],
            phase: row["phase"],
            wave: row["wave"],
            object: ObjectIdentity(group: row["objectGroup"], kind: row["kind"], namespace: row["namespace"], name: row["name"]),
            hook: row["hook"],
            action: action,
            status: status,
            message: row["message"],
            startedAt: Ledger.date(milliseconds: row["startedAt"]),
            finishedAt: finished.map { Ledger.date(milliseconds: $0) },
            log: kept.map { LogCap.render(kept: $0, dropped: row["logDroppedBytes"]) }
        )
    }
}
