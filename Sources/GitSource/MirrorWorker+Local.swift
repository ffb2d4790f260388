import CLibGit2
import Foundation

extension MirrorWorker {
    /// Fetches from a repository on this machine by linking (or copying) its object files.
    ///
    /// libgit2's local transport builds a new pack and searches deltas for every object it sends,
    /// which takes tens of seconds for a repository of 20,000 files where `git` takes a fraction of
    /// one. Git objects and packs are immutable and named by content, so taking the files as they
    /// are is both correct and fast; hard links also keep them after the source repacks.
    /// Returns false (and changes nothing) when the source is not a plain repository directory, so
    /// the caller falls back to libgit2.
    func fetchLocal(refspecs: [String], context: OperationContext) throws -> Bool {
        guard url.transport == .local, let source = localGitDirectory() else { return false }
        let fm = FileManager.default
        if fm.fileExists(atPath: source + "/objects/info/alternates") { return false }
        let repo = try repository()
        let destination = path + "/objects"
        try linkObjects(from: source + "/objects", to: destination)

        var odb: OpaquePointer?
        guard git_repository_odb(&odb, repo.pointer) == 0, let odb else { return false }
        defer { git_odb_free(odb) }
        _ = git_odb_refresh(odb)

        let listing = try list(prefixes: [], context: context)
        var updates: [(name: String, oid: git_oid)] = []
        var globs: [(source: String, destination: String)] = []
        for spec in refspecs {
            let parts = spec.trimmingCharacters(in: CharacterSet(charactersIn: "+")).split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return false }
            if parts[0].hasSuffix("*") {
                let from = String(parts[0].dropLast()), to = String(parts[1].dropLast())
                globs.append((from, to))
                for ref in listing.refs where ref.name.hasPrefix(from) {
                    guard let oid = LibGit2.oid(ref.target) else { continue }
                    updates.append((to + ref.name.dropFirst(from.count), oid))
                }
            } else {
                guard let ref = listing.refs.first(where: { $0.name == parts[0] }), let oid = LibGit2.oid(ref.target) else {
                    throw GitSourceError(.notFound, "\(parts[0]) not found in \(url)")
                }
                updates.append((parts[1], oid))
            }
        }
        for update in updates {
            var oid = update.oid
            guard git_odb_exists(odb, &oid) == 1 else { return false }
        }
        for update in updates {
            var oid = update.oid
            var ref: OpaquePointer?
            let code = git_reference_create(&ref, repo.pointer, update.name, &oid, 1, "sluice fetch")
            if let ref { git_reference_free(ref) }
            guard code == 0 else { throw LibGit2.error(code, "cannot update \(update.name)") }
        }
        // Like `fetch --prune`: refs a glob mirrors that the source no longer has go away.
        let kept = Set(updates.map(\.name))
        for glob in globs {
            for name in try referenceNames(repo, prefix: glob.destination) where !kept.contains(name) {
                _ = git_reference_remove(repo.pointer, name)
            }
        }
        return true
    }

    private func localGitDirectory() -> String? {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: url.path + "/.git", isDirectory: &isDirectory) {
            return isDirectory.boolValue ? url.path + "/.git" : nil
        }
        if fm.fileExists(atPath: url.path + "/objects", isDirectory: &isDirectory), isDirectory.boolValue,
           fm.fileExists(atPath: url.path + "/HEAD") {
            return url.path
        }
        return nil
    }

    private func linkObjects(from source: String, to destination: String) throws {
        let fm = FileManager.default
        let packs = (try? fm.contentsOfDirectory(atPath: source + "/pack")) ?? []
        try fm.createDirectory(atPath: destination + "/pack", withIntermediateDirectories: true)
        // A pack before its index: an index must never name a pack that is not there yet.
        for pack in packs.filter({ $0.hasSuffix(".pack") }).sorted() {
            let index = String(pack.dropLast(5)) + ".idx"
            guard packs.contains(index), !fm.fileExists(atPath: destination + "/pack/" + index) else { continue }
            try linkOrCopy(source + "/pack/" + pack, destination + "/pack/" + pack)
            try linkOrCopy(source + "/pack/" + index, destination + "/pack/" + index)
        }
        for directory in (try? fm.contentsOfDirectory(atPath: source)) ?? [] where directory.count == 2 && directory.allSatisfy(\.isHexDigit) {
            let files = (try? fm.contentsOfDirectory(atPath: source + "/" + directory)) ?? []
            guard !files.isEmpty else { continue }
            try fm.createDirectory(atPath: destination + "/" + directory, withIntermediateDirectories: true)
            for file in files where !fm.fileExists(atPath: destination + "/" + directory + "/" + file) {
                try linkOrCopy(source + "/" + directory + "/" + file, destination + "/" + directory + "/" + file)
            }
        }
    }

    /// Links `from` to `to`, or copies it under a temporary name and renames it into place: a copy
    /// cut short (a full disk) must never leave a partial object file, which every later fetch
    /// would take as present.
    private func linkOrCopy(_ from: String, _ to: String) throws {
        if fileExistsOrLinked(from, to) { return }
        let fm = FileManager.default
        let temporary = to + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try fm.copyItem(atPath: from, toPath: temporary)
        } catch {
            try? fm.removeItem(atPath: temporary)
            throw GitSourceError(.other, "cannot copy \(from) into the mirror: \(error)")
        }
        guard rename(temporary, to) == 0 else {
            let code = errno
            try? fm.removeItem(atPath: temporary)
            throw GitSourceError(.other, "cannot move \(to) into place in the mirror: \(String(cString: strerror(code)))")
        }
    }

    /// Hard-links `from` to `to`; false when the file systems differ or links are not allowed.
    private func fileExistsOrLinked(_ from: String, _ to: String) -> Bool {
        if link(from, to) == 0 { return true }
        return errno == EEXIST
    }

    private func referenceNames(_ repo: GitRepositoryHandle, prefix: String) throws -> [String] {
        var names = git_strarray()
        guard git_reference_list(&names, repo.pointer) == 0 else { return [] }
        defer { git_strarray_dispose(&names) }
        var result: [String] = []
        for i in 0..<names.count {
            if let name = names.strings[i].map({ String(cString: $0) }), name.hasPrefix(prefix) { result.append(name) }
        }
        return result
    }
}
