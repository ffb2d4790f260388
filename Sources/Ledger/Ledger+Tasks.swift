import KubeModel
import Foundation

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
            let highest = try await db.scalar(as: Int.self, "SELECT MAX(position) FROM task WHERE attemptId = ?", [attempt.rawValue])
            let inserted = try await db.row("""
                    INSERT INTO task (attemptId, position, phase, wave, objectGroup, kind, namespace, name,
                                      hook, action, status, message, startedAt, finishedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                    """,
                [
                    attempt.rawValue, (highest ?? 0) + 1, phase, wave, object.group, object.kind,
                    object.namespace, object.name, hook, action.rawValue, status.rawValue, message, stamp, finished,
                ]
            )
            guard let inserted else { throw LedgerError(.writeFailed, "the new task has no id") }
            return try inserted["id"] as Int64
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
            let changed = try await db.rows("""
                    UPDATE task SET status = ?, finishedAt = ?, action = COALESCE(?, action),
                                    message = COALESCE(?, message)
                    WHERE id = ? RETURNING id
                    """,
                [status.rawValue, finished, action?.rawValue, message, task.rawValue]
            )
            guard changed.count == 1 else { throw LedgerError(.notFound, "no task \(task) in the ledger \(self.path)") }
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
                let row = try await db.row("SELECT log, logDroppedBytes FROM task WHERE id = ?", [task.rawValue])
            else { throw LedgerError(.notFound, "no task \(task) in the ledger \(self.path)") }
            let existing: String? = try row["log"]
            let capped = LogCap.append(
                text, to: existing ?? "", alreadyDropped: try row["logDroppedBytes"], limit: limit)
            try await db.execute("UPDATE task SET log = ?, logDroppedBytes = ? WHERE id = ?",
                [capped.kept, capped.dropped, task.rawValue]
            )
        }
    }

    /// The tasks of an attempt in execution order.
    public func tasks(of attempt: AttemptID) async throws -> [TaskRecord] {
        try await reading("read the tasks of attempt \(attempt)") { db in
            try await db.rows("SELECT * FROM task WHERE attemptId = ? ORDER BY position", [attempt.rawValue]
            ).map(TaskRecord.init(row:))
        }
    }

    /// Records the change set of an attempt, replacing any recorded before.
    public func recordChanges(_ changes: ChangeSet, for attempt: AttemptID) async throws {
        try await writing("record the change set of attempt \(attempt)") { db in
            try await db.execute("DELETE FROM change WHERE attemptId = ?", [attempt.rawValue])
            for (change, keys) in changes.labelled {
                for (position, key) in keys.enumerated() {
                    try await db.execute("""
                            INSERT INTO change (attemptId, change, position, objectGroup, kind, namespace, name)
                            VALUES (?, ?, ?, ?, ?, ?, ?)
                            """,
                        [attempt.rawValue, change, position, key.group, key.kind, key.namespace, key.name]
                    )
                }
            }
        }
    }

    /// The change set of an attempt (all lists empty when none was recorded).
    public func changes(of attempt: AttemptID) async throws -> ChangeSet {
        try await reading("read the change set of attempt \(attempt)") { db in
            var changes = ChangeSet()
            let rows = try await db.rows("SELECT * FROM change WHERE attemptId = ? ORDER BY change, position",
                [attempt.rawValue])
            for row in rows {
                let key = ObjectIdentity(group: try row["objectGroup"], kind: try row["kind"], namespace: try row["namespace"], name: try row["name"])
                switch try row["change"] as String {
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
    init(row: LedgerRow) throws {
        let actionText: String = try row["action"]
        let statusText: String = try row["status"]
        let id: Int64 = try row["id"]
        guard let action = TaskAction(rawValue: actionText), let status = TaskStatus(rawValue: statusText) else {
            throw LedgerError(.corrupt, "task \(id) has an unknown action or status")
        }
        let finished: Int64? = try row["finishedAt"]
        let kept: String? = try row["log"]
        self.init(
            id: TaskID(id),
            attempt: AttemptID(try row["attemptId"]),
            position: try row["position"],
            phase: try row["phase"],
            wave: try row["wave"],
            object: ObjectIdentity(group: try row["objectGroup"], kind: try row["kind"], namespace: try row["namespace"], name: try row["name"]),
            hook: try row["hook"],
            action: action,
            status: status,
            message: try row["message"],
            startedAt: Ledger.date(milliseconds: try row["startedAt"]),
            finishedAt: finished.map { Ledger.date(milliseconds: $0) },
            log: try kept.map { LogCap.render(kept: $0, dropped: try row["logDroppedBytes"]) }
        )
    }
}
