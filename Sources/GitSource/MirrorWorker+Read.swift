import CLibGit2
import Foundation

extension MirrorWorker {
    func commitInfo(_ revision: String) throws -> CommitInfo {
        let commit = try repository().commit(revision)
        let c = commit.pointer
        func signature(_ s: UnsafePointer<git_signature>?) -> CommitInfo.Signature {
            guard let s = s?.pointee else { return .init(name: "", email: "", time: Date(timeIntervalSince1970: 0)) }
            return .init(name: s.name.map { String(cString: $0) } ?? "", email: s.email.map { String(cString: $0) } ?? "",
                         time: Date(timeIntervalSince1970: TimeInterval(s.when.time)))
        }
        var parents: [String] = []
        for i in 0..<git_commit_parentcount(c) {
            if let oid = git_commit_parent_id(c, i) { parents.append(LibGit2.hex(oid.pointee)) }
        }
        var buffer = git_buf()
        let signed = git_commit_header_field(&buffer, c, "gpgsig") == 0
        git_buf_dispose(&buffer)
        return CommitInfo(id: commit.id, author: signature(git_commit_author(c)), committer: signature(git_commit_committer(c)),
                          message: git_commit_message(c).map { String(cString: $0) } ?? "", parents: parents, isSigned: signed)
    }

    private func tree(of revision: String) throws -> OpaquePointer {
        let commit = try repository().commit(revision)
        var tree: OpaquePointer?
        let code = git_commit_tree(&tree, commit.pointer)
        guard code == 0, let tree else { throw LibGit2.error(code, "cannot read the tree of \(revision)") }
        return tree
    }

    /// Paths changed under `prefix` from `old` (nil: the empty tree) to `new`, with renames detected.
    ///
    /// The two trees are compared entry by entry, and a subtree with the same id on both sides is
    /// skipped unread: one changed file of 10,000 in 100 directories reads six trees, where
    /// libgit2's tree diff reads all 200 and compares every entry. Only when files were both added
    /// and deleted is libgit2's diff asked to pair them as renames.
    func changes(from old: String?, to new: String, under prefix: String) throws -> [PathChange] {
        let repo = try repository()
        let path = try normalizedRepositoryPath(prefix)
        let newRoot = try tree(of: new)
        defer { git_tree_free(newRoot) }
        let oldRoot = try old.map { try tree(of: $0) }
        defer { if let oldRoot { git_tree_free(oldRoot) } }
        let newTree = try subtree(of: newRoot, at: path, repo: repo)
        defer { if let newTree, newTree != newRoot { git_tree_free(newTree) } }
        let oldTree = try oldRoot.flatMap { try subtree(of: $0, at: path, repo: repo) }
        defer { if let oldTree, oldTree != oldRoot { git_tree_free(oldTree) } }
        var result: [PathChange] = []
        try compare(old: oldTree, new: newTree, repo: repo, prefix: path, into: &result)
        if result.contains(where: { $0.status == .added }) && result.contains(where: { $0.status == .deleted }) {
            return try diffWithRenames(old: oldRoot, new: newRoot, under: path, repo: repo)
        }
        return result.sorted { $0.path < $1.path }
    }

    /// The tree at `path` under `root` (`root` itself for the empty path), nil when there is none.
    private func subtree(of root: OpaquePointer, at path: String, repo: GitRepositoryHandle) throws -> OpaquePointer? {
        if path.isEmpty { return root }
        var entry: OpaquePointer?
        guard git_tree_entry_bypath(&entry, root, path) == 0, let entry else { return nil }
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_filemode(entry) == GIT_FILEMODE_TREE, let oid = git_tree_entry_id(entry) else { return nil }
        return try lookupTree(oid, repo: repo, path: path)
    }

    private func lookupTree(_ oid: UnsafePointer<git_oid>, repo: GitRepositoryHandle, path: String) throws -> OpaquePointer {
        var tree: OpaquePointer?
        let code = git_tree_lookup(&tree, repo.pointer, oid)
        guard code == 0, let tree else { throw LibGit2.error(code, "cannot read the tree of \(path)") }
        return tree
    }

    /// Appends what changed from `old` to `new` (either may be missing: everything in the other was
    /// added or deleted), descending only into subtrees whose ids differ.
    private func compare(
        old: OpaquePointer?, new: OpaquePointer?, repo: GitRepositoryHandle, prefix: String, into result: inout [PathChange]
    ) throws {
        struct Entry {
            var oid: UnsafePointer<git_oid>
            var mode: git_filemode_t
        }
        func entries(_ tree: OpaquePointer?) -> [String: Entry] {
            guard let tree else { return [:] }
            var entries: [String: Entry] = [:]
            for index in 0..<git_tree_entrycount(tree) {
                guard let entry = git_tree_entry_byindex(tree, index), let name = git_tree_entry_name(entry),
                    let oid = git_tree_entry_id(entry)
                else { continue }
                entries[String(cString: name)] = Entry(oid: oid, mode: git_tree_entry_filemode(entry))
            }
            return entries
        }
        func descend(_ old: Entry?, _ new: Entry?, path: String, into result: inout [PathChange]) throws {
            let oldTree = try old.map { try lookupTree($0.oid, repo: repo, path: path) }
            defer { if let oldTree { git_tree_free(oldTree) } }
            let newTree = try new.map { try lookupTree($0.oid, repo: repo, path: path) }
            defer { if let newTree { git_tree_free(newTree) } }
            try compare(old: oldTree, new: newTree, repo: repo, prefix: path, into: &result)
        }
        let olds = entries(old)
        let news = entries(new)
        for name in Set(olds.keys).union(news.keys) {
            let path = prefix.isEmpty ? name : prefix + "/" + name
            let before = olds[name]
            let after = news[name]
            if let before, let after, before.mode == after.mode, git_oid_equal(before.oid, after.oid) != 0 { continue }
            let oldIsTree = before?.mode == GIT_FILEMODE_TREE
            let newIsTree = after?.mode == GIT_FILEMODE_TREE
            switch (before, after) {
            case (.some, .some) where oldIsTree && newIsTree:
                try descend(before, after, path: path, into: &result)
            case (.some(let before), .some(let after)) where !oldIsTree && !newIsTree && Self.sameType(before.mode, after.mode):
                result.append(PathChange(status: .modified, path: path))
            default:
                // Added, deleted, or another type at the same path (a file that became a directory
                // or a symlink, say): a deletion and an addition, as in libgit2's diff.
                if oldIsTree {
                    try descend(before, nil, path: path, into: &result)
                } else if before != nil {
                    result.append(PathChange(status: .deleted, path: path))
                }
                if newIsTree {
                    try descend(nil, after, path: path, into: &result)
                } else if after != nil {
                    result.append(PathChange(status: .added, path: path))
                }
            }
        }
    }

    /// Whether two modes are of one type (a file, executable or not; a symlink; a submodule).
    private static func sameType(_ a: git_filemode_t, _ b: git_filemode_t) -> Bool {
        a.rawValue & 0o170000 == b.rawValue & 0o170000
    }

    /// libgit2's tree diff of the whole trees limited to `path`, with renames paired.
    private func diffWithRenames(old oldTree: OpaquePointer?, new newTree: OpaquePointer, under path: String, repo: GitRepositoryHandle) throws -> [PathChange] {
        var options = git_diff_options()
        git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION))
        var diff: OpaquePointer?
        let code = withGitStrArray(path.isEmpty ? [] : [path + "/"]) { spec -> Int32 in
            options.pathspec = spec.pointee
            return git_diff_tree_to_tree(&diff, repo.pointer, oldTree, newTree, &options)
        }
        guard code == 0, let diff else { throw LibGit2.error(code, "cannot diff the trees under \(path.isEmpty ? "the root" : path)") }
        defer { git_diff_free(diff) }
        var find = git_diff_find_options()
        git_diff_find_options_init(&find, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION))
        find.flags = GIT_DIFF_FIND_RENAMES.rawValue
        _ = git_diff_find_similar(diff, &find)
        var result: [PathChange] = []
        for i in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, i)?.pointee else { continue }
            let newPath = delta.new_file.path.map { String(cString: $0) } ?? ""
            let oldPath = delta.old_file.path.map { String(cString: $0) } ?? ""
            switch delta.status {
            case GIT_DELTA_ADDED: result.append(PathChange(status: .added, path: newPath))
            case GIT_DELTA_DELETED: result.append(PathChange(status: .deleted, path: oldPath))
            case GIT_DELTA_RENAMED: result.append(PathChange(status: .renamed, path: newPath, oldPath: oldPath))
            case GIT_DELTA_MODIFIED, GIT_DELTA_TYPECHANGE: result.append(PathChange(status: .modified, path: newPath))
            default: continue
            }
        }
        return result
    }

    /// Commits after `old` up to and including `new`, following first parents, oldest first.
    func firstParentCommits(from old: String?, to new: String) throws -> [String] {
        let repo = try repository()
        var walk: OpaquePointer?
        guard git_revwalk_new(&walk, repo.pointer) == 0, let walk else { throw LibGit2.error(-1, "cannot walk history") }
        defer { git_revwalk_free(walk) }
        git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue)
        git_revwalk_simplify_first_parent(walk)
        let newCommit = try repo.commit(new)
        guard let newOid = git_object_id(newCommit.pointer), git_revwalk_push(walk, newOid) == 0 else {
            throw GitSourceError(.notFound, "commit \(new) not found")
        }
        var oldId: String?
        if let old {
            oldId = try repo.commit(old).id
        }
        var result: [String] = []
        var oid = git_oid()
        while git_revwalk_next(&oid, walk) == 0 {
            let id = LibGit2.hex(oid)
            if id == oldId { return result.reversed() }
            result.append(id)
        }
        if let old {
            throw GitSourceError(.notFound, "\(old) is not a first-parent ancestor of \(new) (was the branch force-pushed?)")
        }
        return result.reversed()
    }

    /// Every file under `prefix` at `revision`, with symlinks resolved inside the repository only.
    func snapshot(at revision: String, under prefix: String) throws -> RepositorySnapshot {
        let repo = try repository()
        let base = try normalizedRepositoryPath(prefix)
        let commit = try repo.commit(revision)
        let root = try tree(of: revision)
        defer { git_tree_free(root) }
        var entries: [(path: String, mode: git_filemode_t, oid: git_oid)] = []
        var submodules: [String] = []
        try walk(tree: root, repo: repo, prefix: "") { path, mode, oid in
            guard base.isEmpty || path == base || path.hasPrefix(base + "/") else { return }
            if mode == GIT_FILEMODE_COMMIT { submodules.append(path) } else { entries.append((path, mode, oid)) }
        }
        var files: [RepositoryFile] = []
        var total = 0
        for entry in entries.sorted(by: { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }) {
            var data = try blob(entry.oid, repo: repo, path: entry.path)
            if entry.mode == GIT_FILEMODE_LINK {
                data = try resolveSymlink(entry.path, target: String(decoding: data, as: UTF8.self), root: root, repo: repo)
            }
            total += data.count
            if total > options.maxTotalSize {
                throw GitSourceError(.refused, "the files under '\(base.isEmpty ? "/" : base)' at \(revision) exceed \(options.maxTotalSize) bytes in total")
            }
            files.append(RepositoryFile(path: entry.path, contents: data))
        }
        return RepositorySnapshot(revision: commit.id, files: files, submodules: submodules)
    }

    /// The named files at `revision` (paths from the repository root), in the order given; paths
    /// that are not files in the commit are left out. Symlinks are followed as in ``snapshot(at:under:)``.
    func files(at revision: String, paths: [String]) throws -> [RepositoryFile] {
        let repo = try repository()
        let root = try tree(of: revision)
        defer { git_tree_free(root) }
        var files: [RepositoryFile] = []
        for path in paths {
            var entry: OpaquePointer?
            guard git_tree_entry_bypath(&entry, root, path) == 0, let entry else { continue }
            defer { git_tree_entry_free(entry) }
            let mode = git_tree_entry_filemode(entry)
            guard let oid = git_tree_entry_id(entry)?.pointee else { continue }
            switch mode {
            case GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE:
                files.append(RepositoryFile(path: path, contents: try blob(oid, repo: repo, path: path)))
            case GIT_FILEMODE_LINK:
                let target = String(decoding: try blob(oid, repo: repo, path: path), as: UTF8.self)
                files.append(RepositoryFile(path: path, contents: try resolveSymlink(path, target: target, root: root, repo: repo)))
            default:
                continue
            }
        }
        return files
    }

    private func walk(tree: OpaquePointer, repo: GitRepositoryHandle, prefix: String,
                      _ visit: (String, git_filemode_t, git_oid) throws -> Void) throws {
        for i in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, i), let name = git_tree_entry_name(entry), let oid = git_tree_entry_id(entry) else { continue }
            let path = prefix.isEmpty ? String(cString: name) : prefix + "/" + String(cString: name)
            let mode = git_tree_entry_filemode(entry)
            if mode == GIT_FILEMODE_TREE {
                var sub: OpaquePointer?
                guard git_tree_lookup(&sub, repo.pointer, oid) == 0, let sub else { continue }
                defer { git_tree_free(sub) }
                try walk(tree: sub, repo: repo, prefix: path, visit)
            } else {
                try visit(path, mode, oid.pointee)
            }
        }
    }

    private func blob(_ oid: git_oid, repo: GitRepositoryHandle, path: String) throws -> Data {
        var oid = oid
        var blob: OpaquePointer?
        let code = git_blob_lookup(&blob, repo.pointer, &oid)
        guard code == 0, let blob else { throw LibGit2.error(code, "cannot read \(path)") }
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        if size > options.maxFileSize {
            throw GitSourceError(.refused, "\(path) is \(size) bytes, over the limit of \(options.maxFileSize) bytes per file")
        }
        guard let raw = git_blob_rawcontent(blob) else { return Data() }
        return Data(bytes: raw, count: size)
    }

    /// Follows a symlink (and chains of them) inside the commit's tree; one that leaves the repository is refused.
    private func resolveSymlink(_ path: String, target: String, root: OpaquePointer, repo: GitRepositoryHandle, depth: Int = 0) throws -> Data {
        guard depth < 8 else { throw GitSourceError(.refused, "\(path): too many levels of symbolic links") }
        guard !target.hasPrefix("/") else {
            throw GitSourceError(.refused, "\(path) is a symlink to \(target), outside the repository; refusing to follow it")
        }
        var parts = path.split(separator: "/").dropLast().map(String.init)
        for part in target.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                guard !parts.isEmpty else {
                    throw GitSourceError(.refused, "\(path) is a symlink to \(target), outside the repository; refusing to follow it")
                }
                parts.removeLast()
            } else {
                parts.append(String(part))
            }
        }
        let resolved = parts.joined(separator: "/")
        var entry: OpaquePointer?
        guard git_tree_entry_bypath(&entry, root, resolved) == 0, let entry else {
            throw GitSourceError(.notFound, "\(path) is a symlink to \(target), which does not exist in the commit")
        }
        defer { git_tree_entry_free(entry) }
        let mode = git_tree_entry_filemode(entry)
        guard let oid = git_tree_entry_id(entry)?.pointee else { throw GitSourceError(.notFound, "cannot read \(resolved)") }
        let data = try blob(oid, repo: repo, path: resolved)
        if mode == GIT_FILEMODE_LINK {
            return try resolveSymlink(resolved, target: String(decoding: data, as: UTF8.self), root: root, repo: repo, depth: depth + 1)
        }
        guard mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE else {
            throw GitSourceError(.refused, "\(path) is a symlink to \(target), which is not a file")
        }
        return data
    }
}
