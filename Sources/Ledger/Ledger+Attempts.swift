import KubeModel
import Foundation

extension Ledger {
    /// Records a new attempt as `Running`; call before the first cluster write.
    ///
    /// The attempt's number is one more than the highest number recorded for this application and
    /// revision (1 for the first).
    ///
    /// - Parameters:
    ///   - revision: the commit's 40-hex id (upper case is accepted and stored lower case).
    ///   - message: the commit's message.
    /// - Throws: ``LedgerError`` `invalidArgument` for a malformed revision or empty app, or
    ///   `writeFailed` naming the file.
    public func beginAttempt(
        app: String,
        revision: String,
        ref: String,
        author: String,
        message: String,
        trigger: Trigger
    ) async throws -> AttemptID {
        guard !app.isEmpty else { throw LedgerError(.invalidArgument, "an attempt needs an application name") }
        let revision = try RevisionPrefix.fullRevision(revision)
        let stamp = Ledger.milliseconds(now())
        let id = try await writing("record the start of a sync of \(app) at \(revision)") { db in
            let highest = try await db.scalar(as: Int.self, "SELECT MAX(number) FROM attempt WHERE app = ? AND revision = ?",
                [app, revision]
            )
            let inserted = try await db.row("""
                    INSERT INTO attempt (app, revision, number, ref, author, message, trigger, startedAt, outcome)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                    """,
                [
                    app, revision, (highest ?? 0) + 1, ref, author, message, trigger.rawValue, stamp,
                    Outcome.running.rawValue,
                ]
            )
            guard let inserted else { throw LedgerError(.writeFailed, "the new attempt has no id") }
            return try inserted["id"] as Int64
        }
        return AttemptID(id)
    }

    /// Records who signed the attempt's revision (or its tag), as its verified signature says.
    public func recordSigner(_ signer: String, for attempt: AttemptID) async throws {
        try await writing("record the signer of attempt \(attempt)") { db in
            let changed = try await db.rows("UPDATE attempt SET signer = ? WHERE id = ? RETURNING id", [signer, attempt.rawValue])
            guard changed.count == 1 else { throw LedgerError(.notFound, "no attempt \(attempt) in the ledger \(self.path)") }
        }
    }

    /// Records how the attempt's revision was rendered (one line of JSON, no secret values).
    public func recordRendering(_ rendering: String, for attempt: AttemptID) async throws {
        try await writing("record the rendering of attempt \(attempt)") { db in
            let changed = try await db.rows("UPDATE attempt SET rendering = ? WHERE id = ? RETURNING id", [rendering, attempt.rawValue])
            guard changed.count == 1 else { throw LedgerError(.notFound, "no attempt \(attempt) in the ledger \(self.path)") }
        }
    }

    /// Records that a running attempt entered `phase` (it becomes the attempt's `phaseReached`).
    public func enterPhase(_ phase: String, of attempt: AttemptID) async throws {
        try await writing("record phase \(phase) of attempt \(attempt)") { db in
            let changed = try await db.rows("UPDATE attempt SET phaseReached = ? WHERE id = ? RETURNING id",
                [phase, attempt.rawValue]
            )
            guard changed.count == 1 else { throw LedgerError(.notFound, "no attempt \(attempt) in the ledger \(self.path)") }
        }
    }

    /// Ends a running attempt with `outcome` and the time from the ledger's clock.
    ///
    /// - Parameter message: why it ended so (the failure, what superseded it); may be empty.
    /// - Throws: ``LedgerError`` `invalidArgument` for `Running` or an attempt that already ended.
    public func finishAttempt(_ attempt: AttemptID, outcome: Outcome, message: String = "") async throws {
        guard outcome != .running else {
            throw LedgerError(.invalidArgument, "an attempt cannot finish as Running")
        }
        let stamp = Ledger.milliseconds(now())
        try await writing("record the end of attempt \(attempt)") { db in
            let changed = try await db.rows("UPDATE attempt SET outcome = ?, finishedAt = ?, outcomeMessage = ? WHERE id = ? AND outcome = ? RETURNING id",
                [outcome.rawValue, stamp, message, attempt.rawValue, Outcome.running.rawValue]
            )
            guard changed.count == 1 else {
                let current = try await db.scalar(as: String.self, "SELECT outcome FROM attempt WHERE id = ?", [attempt.rawValue])
                guard let current else { throw LedgerError(.notFound, "no attempt \(attempt) in the ledger \(self.path)") }
                throw LedgerError(.invalidArgument, "attempt \(attempt) already finished as \(current)")
            }
        }
    }

    /// One attempt by its id.
    public func attempt(_ id: AttemptID) async throws -> Attempt {
        let path = path
        return try await reading("read attempt \(id)") { db in
            guard let row = try await db.row("SELECT * FROM attempt WHERE id = ?", [id.rawValue])
            else { throw LedgerError(.notFound, "no attempt \(id) in the ledger \(path)") }
            return try Attempt(row: row)
        }
    }

    /// One attempt of a revision: attempt `number`, or the latest when `number` is `nil`.
    ///
    /// `revision` may be abbreviated to a unique prefix of at least 4 hex digits. With `app` `nil`,
    /// the revision must belong to one application only.
    ///
    /// - Throws: ``LedgerError`` `notFound` when nothing matches, `ambiguous` when the prefix
    ///   matches several revisions or applications (the message lists them), `invalidArgument`
    ///   for a malformed prefix.
    public func attempt(app: String?, revision: String, number: Int? = nil) async throws -> Attempt {
        let prefix = try RevisionPrefix(revision)
        let path = path
        return try await reading("read an attempt of revision \(revision)") { db in
            let (app, full) = try await prefix.resolve(db, app: app, ledger: path)
            var sql = "SELECT * FROM attempt WHERE app = ? AND revision = ?"
            var arguments: [any LedgerBindable] = [app, full]
            if let number {
                sql += " AND number = ?"
                arguments += [number]
            }
            sql += " ORDER BY number DESC LIMIT 1"
            guard let row = try await db.row(sql, arguments) else {
                throw LedgerError(
                    .notFound,
                    "no attempt number \(number ?? 0) of revision \(full) of \(app) in the ledger \(path)"
                )
            }
            return try Attempt(row: row)
        }
    }

    /// The full 40-hex revision that `prefix` abbreviates, among the revisions the ledger recorded.
    ///
    /// - Throws: as ``attempt(app:revision:number:)``.
    public func resolveRevision(_ prefix: String, app: String? = nil) async throws -> String {
        let parsed = try RevisionPrefix(prefix)
        let path = path
        return try await reading("look up revision \(prefix)") { db in
            try await parsed.resolve(db, app: app, ledger: path).revision
        }
    }

    /// Attempts newest first (by start time, then by id), at most `limit`, of one application or all.
    public func history(app: String? = nil, limit: Int = 50) async throws -> [Attempt] {
        try await reading("read the history") { db in
            var sql = "SELECT * FROM attempt"
            var arguments: [any LedgerBindable] = []
            if let app {
                sql += " WHERE app = ?"
                arguments += [app]
            }
            sql += " ORDER BY startedAt DESC, id DESC LIMIT ?"
            arguments += [max(0, limit)]
            return try await db.rows(sql, arguments).map(Attempt.init(row:))
        }
    }

    /// The latest `Succeeded` attempt of `app` (its revision is the last applied one), or `nil`.
    public func lastSucceeded(app: String) async throws -> Attempt? {
        try await reading("read the last successful sync of \(app)") { db in
            try await db.row("SELECT * FROM attempt WHERE app = ? AND outcome = ? ORDER BY startedAt DESC, id DESC LIMIT 1",
                [app, Outcome.succeeded.rawValue]
            ).map(Attempt.init(row:))
        }
    }

    /// The applications with at least one attempt, sorted by name.
    public func apps() async throws -> [String] {
        try await reading("list the applications") { db in
            try await db.rows("SELECT DISTINCT app FROM attempt ORDER BY app").map { try $0["app"] as String }
        }
    }

    /// An attempt with its tasks and change set: what `sluice show` prints.
    public func detail(app: String?, revision: String, number: Int? = nil) async throws -> AttemptDetail {
        let found = try await attempt(app: app, revision: revision, number: number)
        return try await detail(of: found)
    }

    /// The tasks and change set of `attempt`.
    public func detail(of attempt: Attempt) async throws -> AttemptDetail {
        AttemptDetail(attempt: attempt, tasks: try await tasks(of: attempt.id), changes: try await changes(of: attempt.id))
    }
}

extension Attempt {
    init(row: LedgerRow) throws {
        let triggerText: String = try row["trigger"]
        let outcomeText: String = try row["outcome"]
        guard let trigger = Trigger(rawValue: triggerText), let outcome = Outcome(rawValue: outcomeText) else {
            throw LedgerError(.corrupt, "attempt \(try row["id"] as Int64) has an unknown trigger or outcome")
        }
        let finished: Int64? = try row["finishedAt"]
        self.init(
            id: AttemptID(try row["id"]),
            app: try row["app"],
            revision: try row["revision"],
            number: try row["number"],
            ref: try row["ref"],
            author: try row["author"],
            message: try row["message"],
            trigger: trigger,
            startedAt: Ledger.date(milliseconds: try row["startedAt"]),
            finishedAt: finished.map { Ledger.date(milliseconds: $0) },
            outcome: outcome,
            phaseReached: try row["phaseReached"],
            outcomeMessage: try row["outcomeMessage"],
            manifestDigest: try row["manifestBlob"],
            signer: try row["signer"],
            rendering: try row["rendering"]
        )
    }
}
