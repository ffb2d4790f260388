import Foundation

/// A Git work tree driven through the `git` command-line client: write files, commit with
/// deterministic dates, tag, branch, push.
///
/// Commits get consecutive dates one minute apart starting at
/// ``GitSignature/firstCommitDate`` unless a date is given, so ids are reproducible.
public final class GitRepository: @unchecked Sendable {
    /// The work tree's root.
    public let url: URL
    private let owner: TemporaryDirectory?
    private let lock = NSLock()
    private var commitsMade = 0

    /// Runs `git init` in `url` (created if missing) with `defaultBranch` as the initial branch.
    public init(at url: URL, defaultBranch: String = "main") throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        self.url = url.resolvingSymlinksInPath()
        self.owner = nil
        try GitCLI.run(["init", "--quiet", "--initial-branch=\(defaultBranch)", self.url.path])
    }

    /// Creates a repository in a new temporary directory that is removed with this object.
    public init(defaultBranch: String = "main") throws {
        let directory = try TemporaryDirectory(label: "work")
        self.owner = directory
        self.url = directory.url
        try GitCLI.run(["init", "--quiet", "--initial-branch=\(defaultBranch)", url.path])
    }

    /// The work tree's path.
    public var path: String { url.path }

    /// Runs `git ARGUMENTS` in the work tree and returns its trimmed standard output.
    @discardableResult
    public func git(_ arguments: String..., environment: [String: String] = [:]) throws -> String {
        try git(arguments, environment: environment)
    }

    /// Runs `git ARGUMENTS` in the work tree and returns its trimmed standard output.
    @discardableResult
    public func git(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        try GitCLI.run(arguments, in: url, environment: environment).trimmedOutput
    }

    // MARK: Files

    /// Writes `text` to `relativePath`, creating intermediate directories.
    @discardableResult
    public func write(_ text: String, to relativePath: String) throws -> URL {
        try write(Data(text.utf8), to: relativePath)
    }

    /// Writes `data` to `relativePath`, creating intermediate directories.
    @discardableResult
    public func write(_ data: Data, to relativePath: String) throws -> URL {
        let file = url.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        return file
    }

    /// Creates a symbolic link at `relativePath` whose target is `destination`, verbatim (it may
    /// be relative, absolute, or point outside the repository).
    public func writeSymlink(at relativePath: String, pointingTo destination: String) throws {
        let link = url.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(
            at: link.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: link)
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: destination)
    }

    /// Writes `size` bytes of deterministic, poorly compressible data to `relativePath`.
    @discardableResult
    public func writeLargeFile(at relativePath: String, size: Int, seed: UInt64 = 1) throws -> URL {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var bytes = [UInt8](repeating: 0, count: size)
        for index in bytes.indices {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes[index] = UInt8(truncatingIfNeeded: state)
        }
        return try write(Data(bytes), to: relativePath)
    }

    /// Removes a file or directory from the work tree (the next commit records the deletion).
    public func remove(_ relativePath: String) throws {
        try FileManager.default.removeItem(at: url.appendingPathComponent(relativePath))
    }

    // MARK: Commits

    /// Stages everything (`git add -A`) and commits; returns the new commit's id.
    ///
    /// - Parameters:
    ///   - date: author and committer date; by default one minute after the previous commit
    ///     this object made, starting at ``GitSignature/firstCommitDate``.
    ///   - allowEmpty: commit even when nothing changed.
    @discardableResult
    public func commit(
        _ message: String,
        author: GitSignature = .test,
        committer: GitSignature? = nil,
        date: Date? = nil,
        allowEmpty: Bool = false
    ) throws -> String {
        let when = date ?? nextDate()
        let committer = committer ?? author
        try git("add", "-A")
        var arguments = ["commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", message]
        if allowEmpty { arguments.append("--allow-empty") }
        try git(arguments, environment: Self.signatureEnvironment(author, committer, when))
        return try headCommit()
    }

    /// Environment variables that set author, committer and both dates.
    public static func signatureEnvironment(
        _ author: GitSignature, _ committer: GitSignature, _ date: Date
    ) -> [String: String] {
        let stamp = GitSignature.gitDate(date)
        return [
            "GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_NAME": committer.name, "GIT_COMMITTER_EMAIL": committer.email,
            "GIT_COMMITTER_DATE": stamp,
        ]
    }

    func nextDate() -> Date {
        lock.lock()
        defer { lock.unlock() }
        let date = GitSignature.firstCommitDate.addingTimeInterval(Double(commitsMade) * 60)
        commitsMade += 1
        return date
    }

    /// The id of the commit `HEAD` points at.
    public func headCommit() throws -> String { try revParse("HEAD") }

    /// `git rev-parse --verify REVISION^{commit}`-style lookup; pass `peel: false` for the raw
    /// object id (an annotated tag's own id, say).
    public func revParse(_ revision: String, peel: Bool = true) throws -> String {
        try git("rev-parse", "--verify", "--quiet", peel ? "\(revision)^{commit}" : revision)
    }

    /// The number of commits reachable from `revision`.
    public func commitCount(_ revision: String = "HEAD") throws -> Int {
        Int(try git("rev-list", "--count", revision)) ?? 0
    }

    // MARK: Tags and branches

    /// Creates a tag: lightweight when `message` is nil, annotated otherwise. `force` moves an
    /// existing tag.
    public func tag(
        _ name: String, at revision: String = "HEAD", message: String? = nil, force: Bool = false,
        tagger: GitSignature = .test
    ) throws {
        var arguments = ["tag"]
        if force { arguments.append("--force") }
        if let message { arguments += ["--annotate", "--message", message] }
        arguments += [name, revision]
        try git(arguments, environment: Self.signatureEnvironment(tagger, tagger, nextDate()))
    }

    /// Moves `name` to `revision` (`git tag --force`), keeping it annotated when `message` is set.
    public func moveTag(_ name: String, to revision: String, message: String? = nil) throws {
        try tag(name, at: revision, message: message, force: true)
    }

    /// Deletes a tag.
    public func deleteTag(_ name: String) throws { try git("tag", "--delete", name) }

    /// Creates a branch at `revision` without checking it out.
    public func createBranch(_ name: String, at revision: String = "HEAD") throws {
        try git("branch", name, revision)
    }

    /// Checks out an existing branch or revision.
    public func checkout(_ revision: String) throws { try git("checkout", "--quiet", revision) }

    /// Creates a branch at `revision` (force: resets it if it exists) and checks it out.
    public func checkoutNewBranch(_ name: String, at revision: String = "HEAD") throws {
        try git("checkout", "--quiet", "-B", name, revision)
    }

    /// Deletes a branch, merged or not.
    public func deleteBranch(_ name: String) throws { try git("branch", "--delete", "--force", name) }

    /// Resets the current branch and the work tree to `revision` (to rewrite history before a
    /// force-push).
    public func resetHard(to revision: String) throws { try git("reset", "--quiet", "--hard", revision) }

    /// The name of the checked-out branch.
    public func currentBranch() throws -> String { try git("symbolic-ref", "--short", "HEAD") }

    // MARK: Remotes

    /// Pushes `refspecs` to `remote` (a URL, a path, or a remote name); `force` by default so
    /// rewritten branches and moved tags go through.
    public func push(
        to remote: String,
        refspecs: [String] = ["refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"],
        force: Bool = true,
        environment: [String: String] = [:]
    ) throws {
        var arguments = ["push", "--quiet"]
        if force { arguments.append("--force") }
        try git(arguments + [remote] + refspecs, environment: environment)
    }

    /// Pushes branches and tags to a bare repository, forced.
    public func push(to bare: BareRepository, refspecs: [String]? = nil) throws {
        if let refspecs {
            try push(to: bare.path, refspecs: refspecs)
        } else {
            try push(to: bare.path)
        }
    }

    /// Makes `bare` an exact copy of this repository's branches and tags: forced, and refs that
    /// no longer exist here (deleted branches and tags) are deleted there.
    public func mirror(to bare: BareRepository) throws {
        try git(
            "push", "--quiet", "--force", "--prune", bare.path,
            "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*")
    }

    /// Adds a submodule from `repositoryURL` at `relativePath` (not committed yet).
    ///
    /// Allows the file transport (`protocol.file.allow=always`), which git 2.38.1+ otherwise
    /// refuses for submodules.
    public func addSubmodule(url repositoryURL: String, at relativePath: String) throws {
        try git(
            "-c", "protocol.file.allow=always", "submodule", "--quiet", "add", repositoryURL,
            relativePath)
    }
}
