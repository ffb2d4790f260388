import Foundation
import KubeModel

/// The ledger's numbered migrations, in the SQL both backends run (``postgres(_:)`` adapts the
/// few types that differ). A released migration is never edited: add `v6`, `v7`, ...
///
/// The SQLite backend records the applied ones in `grdb_migrations` (the table earlier Sluice
/// versions wrote with GRDB's migrator, so their ledgers open as they are); PostgreSQL in
/// `sluice_migrations`.
enum LedgerSchema {
    struct Migration: Sendable {
        let identifier: String
        /// The statements, one per element, in SQLite's dialect.
        let statements: [String]
    }

    static let migrations: [Migration] = [
        // Rendered manifests, zlib-compressed, keyed by the SHA-256 of the uncompressed bytes;
        // attempts, their tasks and change sets.
        Migration(identifier: "v1", statements: split("""
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
                """)),
        // Which of a revision's files hold hooks, so a plan can stay proportional to a change:
        // it reads the changed files and these, not the whole tree.
        Migration(identifier: "v2", statements: split("""
                CREATE TABLE revisionIndex (
                    app TEXT NOT NULL,
                    revision TEXT NOT NULL,
                    hookFiles TEXT NOT NULL,
                    PRIMARY KEY (app, revision)
                );
                """)),
        // Per application: where it comes from, whether it is suspended and why, and the
        // agent's last check, for `sluice status` and `sluice suspend|resume`.
        Migration(identifier: "v3", statements: split("""
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
                """)),
        // A digest of the settings the agent last ran an application with (a restarted agent
        // resumes from the ledger only when they are the same), and the objects' health.
        Migration(identifier: "v4", statements: [
            "ALTER TABLE application ADD COLUMN settings TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE application ADD COLUMN health TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE application ADD COLUMN healthMessage TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE application ADD COLUMN healthCheckedAt INTEGER",
        ]),
        // The last error of an application with its class (a fetch that failed, a revision that
        // stalled, a sync that failed), and the revision it stalled on, so that a restarted agent
        // does not retry it either; the default namespace of its objects, so that a rollback
        // needs no flags.
        Migration(identifier: "v5", statements: [
            "ALTER TABLE application ADD COLUMN errorClass TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE application ADD COLUMN error TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE application ADD COLUMN errorAt INTEGER",
            "ALTER TABLE application ADD COLUMN stalledRevision TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE application ADD COLUMN namespace TEXT NOT NULL DEFAULT ''",
        ]),
        // Who signed the revision (or its tag) an attempt synced, when its signature was verified:
        // the identity and the key, never key material.
        Migration(identifier: "v6", statements: [
            "ALTER TABLE attempt ADD COLUMN signer TEXT NOT NULL DEFAULT ''",
        ]),
        // How the revision was rendered, when it was (a Helm chart's release name, values files,
        // parameters as digests, the cluster version): one line of JSON, never a value itself.
        Migration(identifier: "v7", statements: [
            "ALTER TABLE attempt ADD COLUMN rendering TEXT NOT NULL DEFAULT ''",
        ]),
    ]

    /// The identifiers of every migration this Sluice knows, in order.
    static var identifiers: [String] { migrations.map(\.identifier) }

    /// A statement in PostgreSQL's dialect: 64-bit integers everywhere (times are milliseconds),
    /// identity keys, `BYTEA` for blobs.
    static func postgres(_ statement: String) -> String {
        statement
            .replacingOccurrences(of: "INTEGER PRIMARY KEY AUTOINCREMENT", with: "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
            .replacingOccurrences(of: "INTEGER", with: "BIGINT")
            .replacingOccurrences(of: " BLOB ", with: " BYTEA ")
    }

    private static func split(_ script: String) -> [String] {
        script.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}
