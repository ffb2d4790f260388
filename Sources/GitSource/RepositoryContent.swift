import Foundation

/// A commit's metadata.
public struct CommitInfo: Sendable, Hashable, Codable {
    /// A person and a moment, as recorded in a commit.
    public struct Signature: Sendable, Hashable, Codable {
        public var name: String
        public var email: String
        public var time: Date
    }
    /// The commit id, 40 hex digits.
    public var id: String
    public var author: Signature
    public var committer: Signature
    /// The full message.
    public var message: String
    /// Parent commit ids, first parent first.
    public var parents: [String]
    /// Whether the commit carries a signature (`gpgsig`); the signature is not verified here.
    public var isSigned: Bool

    /// The first line of the message.
    public var summary: String {
        String(message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }
}

/// One changed path between two commits.
public struct PathChange: Sendable, Hashable, Codable {
    /// How a path changed.
    public enum Status: String, Sendable, Codable { case added, modified, deleted, renamed }
    public var status: Status
    /// The path in the newer commit (or the deleted path).
    public var path: String
    /// For a rename, the path in the older commit.
    public var oldPath: String?
}

/// A file read from a commit.
public struct RepositoryFile: Sendable, Hashable {
    /// Path from the repository root.
    public var path: String
    /// The file's bytes (for a symlink inside the repository, its target's bytes).
    public var contents: Data
}

/// The files under a path at one commit.
public struct RepositorySnapshot: Sendable {
    /// The commit read.
    public var revision: String
    /// Files, sorted by path (byte order).
    public var files: [RepositoryFile]
    /// Submodule paths met under the path; their contents are not fetched.
    public var submodules: [String]
}

/// Normalises an application path: no leading `./` or `/`, no trailing `/`, `""` for the root.
func normalizedRepositoryPath(_ path: String) throws -> String {
    var parts: [Substring] = []
    for part in path.split(separator: "/") where part != "." && !part.isEmpty {
        if part == ".." { throw GitSourceError(.invalidInput, "the path '\(path)' leaves the repository") }
        parts.append(part)
    }
    return parts.joined(separator: "/")
}
