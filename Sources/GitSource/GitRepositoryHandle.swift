import CLibGit2
import Foundation

/// Owns one `git_repository`; frees it in `deinit`. Used only on its mirror's queue.
final class GitRepositoryHandle {
    let pointer: OpaquePointer

    /// Opens the bare repository at `path`, creating it when it does not exist yet.
    init(bareAt path: String) throws {
        LibGit2.ensureInitialized()
        var repo: OpaquePointer?
        var code: Int32
        if FileManager.default.fileExists(atPath: path + "/HEAD") {
            code = git_repository_open_bare(&repo, path)
        } else {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            code = git_repository_init(&repo, path, 1)
        }
        guard code == 0, let repo else { throw LibGit2.error(code, "cannot open the mirror at \(path)") }
        pointer = repo
    }

    deinit { git_repository_free(pointer) }

    /// Looks up a commit by full id or unambiguous prefix, peeling tags.
    func commit(_ revision: String) throws -> GitObject {
        var object: OpaquePointer?
        let code: Int32
        if revision.utf8.count == 40, var oid = LibGit2.oid(revision) {
            code = git_object_lookup(&object, pointer, &oid, GIT_OBJECT_ANY)
        } else if revision.utf8.count >= 4, revision.allSatisfy(\.isHexDigit) {
            var oid = git_oid()
            guard git_oid_fromstrn(&oid, revision, revision.utf8.count) == 0 else {
                throw GitSourceError(.invalidInput, "'\(revision)' is not a commit id")
            }
            code = git_object_lookup_prefix(&object, pointer, &oid, revision.utf8.count, GIT_OBJECT_ANY)
        } else {
            code = git_revparse_single(&object, pointer, revision)
        }
        guard code == 0, let object else {
            if code == GIT_EAMBIGUOUS.rawValue {
                throw GitSourceError(.invalidInput, "the commit prefix '\(revision)' is ambiguous; give more digits")
            }
            throw GitSourceError(.notFound, "commit \(revision) does not exist in the repository")
        }
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        guard git_object_peel(&peeled, object, GIT_OBJECT_COMMIT) == 0, let peeled else {
            throw GitSourceError(.notFound, "\(revision) is not a commit")
        }
        return GitObject(peeled)
    }

    /// Whether the object `oid` is present.
    func contains(_ revision: String) -> Bool {
        (try? commit(revision)) != nil
    }
}

/// Owns one libgit2 object (commit, tree, blob); frees it in `deinit`.
final class GitObject {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_object_free(pointer) }

    var id: String {
        guard let oid = git_object_id(pointer) else { return "" }
        return LibGit2.hex(oid.pointee)
    }
}
