import KubeModel
import Foundation

extension Ledger {
    /// Records which files of a revision hold hooks (paths relative to the application's
    /// directory), replacing any earlier record. `sluice plan` reads only the changed files and
    /// these, so its cost follows the size of a change, not of the repository.
    public func recordHookFiles(_ files: [String], app: String, revision: String) async throws {
        let revision = try RevisionPrefix.fullRevision(revision)
        let text = files.sorted().joined(separator: "\n")
        try await writing("record the hook files of \(app) at \(revision)") { db in
            try await db.execute("INSERT INTO revisionIndex (app, revision, hookFiles) VALUES (?, ?, ?) ON CONFLICT (app, revision) DO UPDATE SET hookFiles = excluded.hookFiles",
                [app, revision, text])
        }
    }

    /// The files of a revision that hold hooks, as recorded by ``recordHookFiles(_:app:revision:)``;
    /// `nil` when nothing was recorded for it.
    public func hookFiles(app: String, revision: String) async throws -> [String]? {
        let revision = try RevisionPrefix.fullRevision(revision)
        return try await reading("read the hook files of \(app) at \(revision)") { db in
            guard let text = try await db.scalar(as: String.self, "SELECT hookFiles FROM revisionIndex WHERE app = ? AND revision = ?", [app, revision])
            else { return nil }
            return text.split(separator: "\n").map(String.init)
        }
    }
}
