import KubeModel

/// A revision as a user types it: a full 40-hex commit id or a prefix of at least 4 hex digits.
struct RevisionPrefix: Sendable {
    static let minimumLength = 4
    static let fullLength = 40

    /// The prefix, lower case.
    let text: String

    init(_ input: String) throws {
        let text = input.lowercased()
        guard text.count >= Self.minimumLength, text.count <= Self.fullLength, Self.isHex(text) else {
            throw LedgerError(
                .invalidArgument,
                "'\(input)' is not a revision: give the commit id or at least its first \(Self.minimumLength) hex digits"
            )
        }
        self.text = text
    }

    /// A full commit id, lower case, or an `invalidArgument` error.
    static func fullRevision(_ input: String) throws -> String {
        let text = input.lowercased()
        guard text.count == fullLength, Self.isHex(text) else {
            throw LedgerError(.invalidArgument, "'\(input)' is not a 40-hex commit id")
        }
        return text
    }

    /// True when every character is an ASCII digit or `a`-`f` (the input is lower-cased first).
    static func isHex(_ text: String) -> Bool {
        text.utf8.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
        }
    }

    /// The one (application, revision) of a recorded attempt that this prefix names.
    func resolve(_ db: any LedgerStatements, app: String?, ledger path: String) async throws -> (app: String, revision: String) {
        // Only hex digits reach here, so LIKE needs no escaping; revisions are stored lower case.
        var sql = "SELECT DISTINCT app, revision FROM attempt WHERE revision LIKE ?"
        var arguments: [any LedgerBindable] = [text + "%"]
        if let app {
            sql += " AND app = ?"
            arguments += [app]
        }
        sql += " ORDER BY revision, app LIMIT 11"
        let matches = try await db.rows(sql, arguments).map { row in
            (app: try row["app"] as String, revision: try row["revision"] as String)
        }
        let scope = app.map { " of \($0)" } ?? ""
        guard let first = matches.first else {
            throw LedgerError(.notFound, "no attempt of revision \(text)\(scope) in the ledger \(path)")
        }
        let revisions = Array(Set(matches.map(\.revision))).sorted()
        if revisions.count > 1 {
            let listed = revisions.prefix(10).joined(separator: ", ")
            throw LedgerError(
                .ambiguous,
                "revision \(text)\(scope) is ambiguous: it abbreviates \(listed)\(matches.count > 10 ? ", ..." : ""); "
                    + "give more digits"
            )
        }
        if matches.count > 1 {
            let apps = matches.map(\.app).joined(separator: ", ")
            throw LedgerError(
                .ambiguous,
                "revision \(first.revision) was synced by several applications (\(apps)); name one with --app"
            )
        }
        return first
    }
}
