import Foundation

/// Generates large repositories quickly with `git fast-import` (seconds for 20,000 files and
/// 2,000 commits), for the fetch benchmark and for scale tests.
///
/// Layout: `apps/app-NNN/cm-NNNNN.yaml`, 100 files per directory, each a small Kubernetes
/// ConfigMap. The first commit adds every file; each later commit changes one file's
/// `revision` value. Dates are fixed, so the same arguments give the same commit ids.
public enum RepositoryGenerator {
    /// What a generation produced.
    public struct Summary: Sendable, Hashable {
        /// The branch's new head commit.
        public var head: String
        /// Files in the head tree.
        public var files: Int
        /// Commits written by this call.
        public var commitsAdded: Int
        /// Tags written by this call.
        public var tagsAdded: Int
    }

    /// Files per directory in the generated layout.
    public static let filesPerDirectory = 100

    /// The first commit's time (seconds since 1970); later commits follow a minute apart.
    static let baseTime: Int64 = 1_700_000_000

    /// Writes `commits` commits with `files` files on `branch` into `repository` (bare or not;
    /// it should have no commits on `branch` yet). Creates `tags` lightweight tags
    /// `v1.0.0`, `v1.0.1`, ... on evenly spread commits, the last on the head.
    @discardableResult
    public static func generate(
        into repository: URL, files: Int, commits: Int, branch: String = "main", tags: Int = 0
    ) throws -> Summary {
        guard files > 0, commits > 0, tags >= 0, tags <= commits else {
            throw TestSupportError(
                .invalidArgument, "need files > 0, commits > 0, 0 <= tags <= commits")
        }
        var stream = Data()
        stream.reserveCapacity(files * 160 + commits * 300)
        var fileCommands = ""
        for index in 0..<files {
            let content = manifest(index: index, revision: 0)
            fileCommands += "M 100644 inline \(filePath(index))\ndata \(content.utf8.count)\n\(content)\n"
        }
        appendCommit(
            to: &stream, branch: branch, mark: 1, time: baseTime, message: "Add \(files) manifests",
            parent: nil, changes: fileCommands)
        for number in 1..<commits {
            let index = changedFile(commit: number, files: files)
            let content = manifest(index: index, revision: number)
            appendCommit(
                to: &stream, branch: branch, mark: number + 1, time: baseTime + Int64(number) * 60,
                message: "Bump \(filePath(index)) to revision \(number)", parent: nil,
                changes: "M 100644 inline \(filePath(index))\ndata \(content.utf8.count)\n\(content)\n")
        }
        for tag in 0..<tags {
            // Spread tags evenly, the last one on the head commit.
            let mark = commits - (tags - 1 - tag) * (commits / tags)
            stream.append(Data("reset refs/tags/v1.0.\(tag)\nfrom :\(mark)\n\n".utf8))
        }
        try fastImport(stream, into: repository)
        let head = try GitCLI.run(["rev-parse", "refs/heads/\(branch)"], in: repository).trimmedOutput
        return Summary(head: head, files: files, commitsAdded: commits, tagsAdded: tags)
    }

    /// Adds `count` commits on top of `branch`, each changing one existing generated file (or
    /// `extra/commit-N.txt` when the tree has no generated files). Returns the new head.
    @discardableResult
    public static func appendCommits(
        to repository: URL, count: Int, branch: String = "main"
    ) throws -> Summary {
        guard count > 0 else { throw TestSupportError(.invalidArgument, "count must be > 0") }
        let ref = "refs/heads/\(branch)"
        let existing = try GitCLI.run(["rev-list", "--count", ref], in: repository).trimmedOutput
        let start = Int(existing) ?? 0
        let lastTime = Int64(
            try GitCLI.run(["log", "-1", "--format=%ct", ref], in: repository).trimmedOutput) ?? baseTime
        let listing = try GitCLI.run(
            ["ls-tree", "-r", "--name-only", ref, "apps/"], in: repository
        ).output
        let files = listing.split(separator: "\n").count
        var stream = Data()
        for offset in 0..<count {
            let number = start + offset
            let path: String
            let content: String
            if files > 0 {
                let index = changedFile(commit: number, files: files)
                path = filePath(index)
                content = manifest(index: index, revision: number)
            } else {
                path = "extra/commit-\(number).txt"
                content = "commit \(number)\n"
            }
            appendCommit(
                to: &stream, branch: branch, mark: offset + 1,
                time: lastTime + Int64(offset + 1) * 60,
                message: "Bump \(path) to revision \(number)",
                parent: offset == 0 ? "\(ref)^0" : nil,
                changes: "M 100644 inline \(path)\ndata \(content.utf8.count)\n\(content)\n")
        }
        try fastImport(stream, into: repository)
        let head = try GitCLI.run(["rev-parse", ref], in: repository).trimmedOutput
        return Summary(head: head, files: files, commitsAdded: count, tagsAdded: 0)
    }

    /// The path of generated file number `index`.
    public static func filePath(_ index: Int) -> String {
        let directory = index / filesPerDirectory
        return "apps/app-\(pad(directory, 3))/cm-\(pad(index, 5)).yaml"
    }

    private static func changedFile(commit: Int, files: Int) -> Int {
        (commit &* 7919) % files
    }

    private static func manifest(index: Int, revision: Int) -> String {
        """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: cm-\(pad(index, 5))
          namespace: default
        data:
          revision: "\(revision)"

        """
    }

    private static func appendCommit(
        to stream: inout Data, branch: String, mark: Int, time: Int64, message: String,
        parent: String?, changes: String
    ) {
        let signature = GitSignature.test.formatted
        var text = "commit refs/heads/\(branch)\nmark :\(mark)\n"
        text += "author \(signature) \(time) +0000\ncommitter \(signature) \(time) +0000\n"
        text += "data \(message.utf8.count)\n\(message)\n"
        if let parent { text += "from \(parent)\n" }
        text += changes + "\n"
        stream.append(Data(text.utf8))
    }

    private static func fastImport(_ stream: Data, into repository: URL) throws {
        try GitCLI.run(["fast-import", "--quiet", "--done"], in: repository, input: stream + Data("done\n".utf8))
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
