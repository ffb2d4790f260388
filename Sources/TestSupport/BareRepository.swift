import Foundation

/// A bare Git repository (`git init --bare`), the kind servers serve and clients clone.
public final class BareRepository: @unchecked Sendable {
    /// The repository directory (by convention named `NAME.git`).
    public let url: URL
    private let owner: TemporaryDirectory?

    /// Runs `git init --bare` at `url` (created if missing); `HEAD` names `defaultBranch`.
    public init(at url: URL, defaultBranch: String = "main") throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        self.url = url.resolvingSymlinksInPath()
        self.owner = nil
        try GitCLI.run(["init", "--quiet", "--bare", "--initial-branch=\(defaultBranch)", self.url.path])
    }

    /// Creates a bare repository `name` in a new temporary directory removed with this object.
    public init(named name: String = "repo.git", defaultBranch: String = "main") throws {
        let directory = try TemporaryDirectory(label: "bare")
        self.owner = directory
        self.url = directory.url.appendingPathComponent(name, isDirectory: true)
        try GitCLI.run(["init", "--quiet", "--bare", "--initial-branch=\(defaultBranch)", url.path])
    }

    /// Opens an existing bare repository without running `git init`.
    public init(existingAt url: URL) {
        self.url = url.resolvingSymlinksInPath()
        self.owner = nil
    }

    /// Creates a bare repository at `url` holding exactly `work`'s branches and tags.
    public static func populated(from work: GitRepository, at url: URL) throws -> BareRepository {
        let branch = (try? work.currentBranch()) ?? "main"
        let bare = try BareRepository(at: url, defaultBranch: branch)
        try work.mirror(to: bare)
        return bare
    }

    /// The repository's path.
    public var path: String { url.path }

    /// The `file://` URL of the repository.
    public var fileURL: String { "file://\(path)" }

    /// Runs `git ARGUMENTS` with `--git-dir` set to this repository; returns trimmed stdout.
    @discardableResult
    public func git(_ arguments: String..., environment: [String: String] = [:]) throws -> String {
        try git(arguments, environment: environment)
    }

    /// Runs `git ARGUMENTS` with `--git-dir` set to this repository; returns trimmed stdout.
    @discardableResult
    public func git(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        try GitCLI.run(["--git-dir", path] + arguments, environment: environment).trimmedOutput
    }

    /// The commit `revision` resolves to (annotated tags peeled).
    public func revParse(_ revision: String) throws -> String {
        try git("rev-parse", "--verify", "--quiet", "\(revision)^{commit}")
    }

    /// Every ref and the object it points at (tags not peeled), e.g. `refs/heads/main`.
    public func refs() throws -> [String: String] {
        let listing = try git("for-each-ref", "--format=%(refname) %(objectname)")
        var result: [String: String] = [:]
        for line in listing.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }

    /// Points `HEAD` (the remote's default branch) at `branch`.
    public func setDefaultBranch(_ branch: String) throws {
        try git("symbolic-ref", "HEAD", "refs/heads/\(branch)")
    }

    /// Deletes a ref on the server side, e.g. `refs/heads/feature`.
    public func deleteRef(_ ref: String) throws { try git("update-ref", "-d", ref) }
}
