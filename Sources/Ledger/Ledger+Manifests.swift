import KubeModel
import Foundation

extension Ledger {
    /// Stores the rendered manifests of an attempt's revision and returns their SHA-256 (hex).
    ///
    /// `canonical` is the caller's canonical text of the rendered manifests. It is stored
    /// zlib-compressed under the SHA-256 of these uncompressed bytes, so identical manifests (two
    /// attempts of one revision, or revisions that render the same) are stored once. The attempt
    /// and its (application, revision) refer to the blob; ``manifests(app:revision:)`` reads it back.
    @discardableResult
    public func recordManifests(_ canonical: [UInt8], for attempt: AttemptID) async throws -> String {
        let digest = ManifestBlob.digest(of: canonical)
        try await writing("store the manifests of attempt \(attempt)") { db in
            guard
                let row = try await db.row("SELECT app, revision FROM attempt WHERE id = ?", [attempt.rawValue])
            else { throw LedgerError(.notFound, "no attempt \(attempt) in the ledger \(self.path)") }
            let stored = try await db.scalar(as: Bool.self, "SELECT 1 FROM blob WHERE sha256 = ?", [digest]) ?? false
            if !stored {
                
                let data = try ManifestBlob.compress(canonical)
                try await db.execute("INSERT INTO blob (sha256, size, data) VALUES (?, ?, ?)",
                    [digest, canonical.count, data]
                )
            }
            try await db.execute("UPDATE attempt SET manifestBlob = ? WHERE id = ?", [digest, attempt.rawValue])
            try await db.execute("INSERT INTO revisionManifests (app, revision, blob) VALUES (?, ?, ?) ON CONFLICT (app, revision) DO UPDATE SET blob = excluded.blob",
                [try row["app"] as String, try row["revision"] as String, digest]
            )
        }
        return digest
    }

    /// The rendered manifests last recorded for a revision of an application, exactly as stored,
    /// or `nil` when none were recorded. Works without the Git server (for `diff` and `rollback`).
    ///
    /// - Parameter revision: the full 40-hex commit id.
    /// - Throws: ``LedgerError`` `corrupt` when the blob does not decompress to bytes with its SHA-256.
    public func manifests(app: String, revision: String) async throws -> [UInt8]? {
        let revision = try RevisionPrefix.fullRevision(revision)
        let path = path
        return try await reading("read the manifests of \(app) at \(revision)") { db in
            guard
                let row = try await db.row("""
                        SELECT blob.sha256, blob.size, blob.data FROM revisionManifests
                        JOIN blob ON blob.sha256 = revisionManifests.blob
                        WHERE revisionManifests.app = ? AND revisionManifests.revision = ?
                        """,
                    [app, revision]
                )
            else { return nil }
            let digest: String = try row["sha256"]
            let size: Int = try row["size"]
            let data: [UInt8] = try row["data"]
            return try ManifestBlob.decompress(Array(data), size: size, digest: digest, ledger: path)
        }
    }
}
