import KubeModel
import GRDB

/// The ledger's numbered migrations. A released migration is never edited: add `v2`, `v3`, ...
enum LedgerSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // Rendered manifests, zlib-compressed, keyed by the SHA-256 of the uncompressed bytes.
            try db.execute(
                sql: """
                    CREATE TABLE blob (
                        sha256 TEXT PRIMARY KEY NOT NULL,
                        size INTEGER NOT NULL,
                        data BLOB NOT NULL
                    );
                    CREATE TABLE revisionManifests (
                        app TEXT NOT NULL,
                        revision TEXT NOT NULL,
                        blob TEXT NOT NULL REFERENCES blob(sha256),
                        PRIMARY KEY (app, revision)
                    );
                    CREATE TABLE attempt (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        app TEXT NOT NULL,
                        revision TEXT NOT NULL,
                        number INTEGER NOT NULL,
                        ref TEXT NOT NULL,
                        author TEXT NOT NULL,
                        message TEXT NOT NULL,
                        trigger TEXT NOT NULL,
                        startedAt INTEGER NOT NULL,
                        finishedAt INTEGER,
                        outcome TEXT NOT NULL,
                        phaseReached TEXT,
                        outcomeMessage TEXT NOT NULL DEFAULT '',
                        manifestBlob TEXT REFERENCES blob(sha256),
                        UNIQUE (app, revision, number)
                    );
                    CREATE INDEX attemptByApp ON attempt(app, startedAt);
                    CREATE INDEX attemptByRevision ON attempt(revision);
                    CREATE INDEX attemptByOutcome ON attempt(outcome);
                    CREATE TABLE task (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        attemptId INTEGER NOT NULL REFERENCES attempt(id) ON DELETE CASCADE,
                        position INTEGER NOT NULL,
                        phase TEXT NOT NULL,
                        wave INTEGER NOT NULL,
                        objectGroup TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        namespace TEXT NOT NULL,
                        name TEXT NOT NULL,
                        hook INTEGER NOT NULL,
                        action TEXT NOT NULL,
                        status TEXT NOT NULL,
                        message TEXT NOT NULL DEFAULT '',
                        startedAt INTEGER NOT NULL,
                        finishedAt INTEGER,
                        log TEXT,
                        logDroppedBytes INTEGER NOT NULL DEFAULT 0,
                        UNIQUE (attemptId, position)
                    );
                    CREATE TABLE change (
                        attemptId INTEGER NOT NULL REFERENCES attempt(id) ON DELETE CASCADE,
                        change TEXT NOT NULL,
                        position INTEGER NOT NULL,
                        objectGroup TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        namespace TEXT NOT NULL,
                        name TEXT NOT NULL,
                        PRIMARY KEY (attemptId, change, position)
                    );
                    """
            )
        }
        migrator.registerMigration("v2") { db in
            // Which of a revision's files hold hooks, so a plan can stay proportional to a change:
            // it reads the changed files and these, not the whole tree.
            try db.execute(
                sql: """
                    CREATE TABLE revisionIndex (
                        app TEXT NOT NULL,
                        revision TEXT NOT NULL,
                        hookFiles TEXT NOT NULL,
                        PRIMARY KEY (app, revision)
                    );
                    """
            )
        }
        migrator.registerMigration("v3") { db in
            // Per application: where it comes from, whether it is suspended and why, and the
            // agent's last check, for `sluice status` and `sluice suspend|resume`.
            try db.execute(
                sql: """
                    CREATE TABLE application (
                        app TEXT PRIMARY KEY NOT NULL,
                        repo TEXT NOT NULL DEFAULT '',
                        spec TEXT NOT NULL DEFAULT '',
                        path TEXT NOT NULL DEFAULT '',
                        suspended INTEGER NOT NULL DEFAULT 0,
                        reason TEXT NOT NULL DEFAULT '',
                        suspendedAt INTEGER,
                        lastCheckAt INTEGER,
                        lastSeenRevision TEXT,
                        nextCheckAt INTEGER,
                        quarantined TEXT NOT NULL DEFAULT '',
                        drift TEXT NOT NULL DEFAULT '',
                        driftCheckedAt INTEGER
                    );
                    """
            )
        }
        migrator.registerMigration("v4") { db in
            // A digest of the settings the agent last ran an application with (a restarted agent
            // resumes from the ledger only when they are the same), and the objects' health.
            try db.execute(sql: "ALTER TABLE application ADD COLUMN settings TEXT NOT NULL DEFAULT ''")
            // The health of the managed objects, as the last sync or drift check found it.
            try db.execute(sql: "ALTER TABLE application ADD COLUMN health TEXT NOT NULL DEFAULT ''")
            try db.execute(sql: "ALTER TABLE application ADD COLUMN healthMessage TEXT NOT NULL DEFAULT ''")
            try db.execute(sql: "ALTER TABLE application ADD COLUMN healthCheckedAt INTEGER")
        }
        migrator.registerMigration("v5") { db in
            // The last error of an application with its class (a fetch that failed, a revision that
            // stalled, a sync that failed), for `sluice status`; and the revision it stalled on, so
            // that a restarted agent does not retry it either (until a new commit or new settings).
            try db.execute(sql: "ALTER TABLE application ADD COLUMN errorClass TEXT NOT NULL DEFAULT ''")
            try db.execute(sql: "ALTER TABLE application ADD COLUMN error TEXT NOT NULL DEFAULT ''")
            try db.execute(sql: "ALTER TABLE application ADD COLUMN errorAt INTEGER")
            try db.execute(sql: "ALTER TABLE application ADD COLUMN stalledRevision TEXT NOT NULL DEFAULT ''")
            // The default namespace of the application's objects, so that a rollback needs no flags.
            try db.execute(sql: "ALTER TABLE application ADD COLUMN namespace TEXT NOT NULL DEFAULT ''")
        }
        return migrator
    }
}
