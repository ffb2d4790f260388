import CLibGit2
import Foundation

/// A signed Git object as a verifier needs it: the signature, and the bytes it signs.
struct SignedObject: Sendable {
    /// `commit 1a2b3c4d5e6f` or `tag v1.2.0`, for messages.
    var name: String
    /// The armored signature; `nil` when the object carries none.
    var signature: [UInt8]?
    /// The object's bytes without the signature: what was signed.
    var payload: [UInt8]
    /// Who the object says made it (the committer or tagger), for messages about unsigned objects.
    var claimedBy: String
}

extension MirrorWorker {
    /// The signature of a commit (its `gpgsig` header, OpenPGP or SSH alike) and the data it signs,
    /// as `git verify-commit` reads them.
    func signedCommit(_ revision: String) throws -> SignedObject {
        let repo = try repository()
        let commit = try repo.commit(revision)
        guard var oid = git_object_id(commit.pointer)?.pointee else { throw GitSourceError(.notFound, "commit \(revision) has no id") }
        let committer = git_commit_committer(commit.pointer).map { person in
            "\(person.pointee.name.map { String(cString: $0) } ?? "") <\(person.pointee.email.map { String(cString: $0) } ?? "")>"
        } ?? ""
        var signature = git_buf()
        var signed = git_buf()
        defer {
            git_buf_dispose(&signature)
            git_buf_dispose(&signed)
        }
        let name = "commit \(commit.id.prefix(12))"
        let code = git_commit_extract_signature(&signature, &signed, repo.pointer, &oid, nil)
        if code == GIT_ENOTFOUND.rawValue {
            return SignedObject(name: name, signature: nil, payload: [], claimedBy: committer)
        }
        guard code == 0 else { throw LibGit2.error(code, "cannot read the signature of \(name)") }
        return SignedObject(name: name, signature: Self.bytes(signature), payload: Self.bytes(signed), claimedBy: committer)
    }

    /// The annotated tag `ref` (`refs/tags/NAME`) that resolved to `revision`: its signature (the
    /// armored block that ends its message) and the data it signs. The tag is fetched when the
    /// mirror does not hold it at that commit yet (the commit may have come with a branch).
    func signedTag(_ ref: String, revision: String, context: OperationContext) throws -> SignedObject {
        let repo = try repository()
        let tagName = ref.hasPrefix("refs/tags/") ? String(ref.dropFirst("refs/tags/".count)) : ref
        var target = tagTarget(ref, repo: repo)
        if target == nil || (try? repo.commit(ref).id) != revision {
            try fetch(refspecs: ["+\(ref):\(ref)"], context: context)
            target = tagTarget(ref, repo: repo)
        }
        guard var oid = target, (try? repo.commit(ref).id) == revision else {
            throw GitSourceError(.notFound, "the tag \(tagName) does not point at \(revision.prefix(12)) in \(url)")
        }
        var object: OpaquePointer?
        guard git_object_lookup(&object, repo.pointer, &oid, GIT_OBJECT_ANY) == 0, let object else {
            throw GitSourceError(.notFound, "cannot read the tag \(tagName)")
        }
        let type = git_object_type(object)
        git_object_free(object)
        let name = "tag \(tagName)"
        guard type == GIT_OBJECT_TAG else {
            // A lightweight tag is only a name for the commit: there is nothing of its own to sign.
            return SignedObject(name: "lightweight \(name)", signature: nil, payload: [], claimedBy: "")
        }
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, repo.pointer) == 0, let odb else { throw LibGit2.error(-1, "cannot open the mirror's objects") }
        defer { git_odb_free(odb) }
        var raw: OpaquePointer?
        let code = git_odb_read(&raw, odb, &oid)
        guard code == 0, let raw else { throw LibGit2.error(code, "cannot read the \(name)") }
        defer { git_odb_object_free(raw) }
        let size = git_odb_object_size(raw)
        guard let data = git_odb_object_data(raw) else { throw GitSourceError(.other, "the \(name) is empty") }
        let bytes = Array(UnsafeRawBufferPointer(start: data, count: size))
        var tagger = ""
        if let line = Self.header("tagger", in: bytes) {
            // `Name <email> TIME ZONE`: the person, without the time.
            tagger = line.firstIndex(of: ">").map { String(line[...$0]) } ?? line
        }
        let (payload, signature) = Self.splitTagSignature(bytes)
        return SignedObject(name: name, signature: signature, payload: payload, claimedBy: tagger)
    }

    /// The commits reachable from `new` and not from `old`, newest first; from `new` alone when
    /// `old` is nil or not in the mirror. What `all-commits` verification checks.
    func commitsSince(_ old: String?, to new: String) throws -> [String] {
        let repo = try repository()
        let head = try repo.commit(new)
        guard let old, let base = try? repo.commit(old) else { return [head.id] }
        var walk: OpaquePointer?
        guard git_revwalk_new(&walk, repo.pointer) == 0, let walk else { throw LibGit2.error(-1, "cannot walk history") }
        defer { git_revwalk_free(walk) }
        git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue)
        guard let newOid = git_object_id(head.pointer), git_revwalk_push(walk, newOid) == 0,
              let oldOid = git_object_id(base.pointer), git_revwalk_hide(walk, oldOid) == 0
        else { throw LibGit2.error(-1, "cannot walk the history from \(old.prefix(12)) to \(new.prefix(12))") }
        var result: [String] = []
        var oid = git_oid()
        while git_revwalk_next(&oid, walk) == 0 { result.append(LibGit2.hex(oid)) }
        return result
    }

    private func tagTarget(_ ref: String, repo: GitRepositoryHandle) -> git_oid? {
        var reference: OpaquePointer?
        guard git_reference_lookup(&reference, repo.pointer, ref) == 0, let reference else { return nil }
        defer { git_reference_free(reference) }
        return git_reference_target(reference)?.pointee
    }

    /// A tag object split where its signature starts: the armored block that begins a line after
    /// the message (`git tag -s` appends it so), OpenPGP, SSH or X.509. `nil` signature when there is none.
    static func splitTagSignature(_ bytes: [UInt8]) -> (payload: [UInt8], signature: [UInt8]?) {
        let markers = ["-----BEGIN PGP SIGNATURE-----", "-----BEGIN SSH SIGNATURE-----", "-----BEGIN SIGNED MESSAGE-----"].map { Array($0.utf8) }
        // The header ends at the first blank line; a signature is only looked for in the message.
        var start = 0
        if let blank = bytes.indices.dropLast().first(where: { bytes[$0] == 0x0A && bytes[$0 + 1] == 0x0A }) { start = blank + 1 }
        var found: Int?
        var index = start
        while index < bytes.count {
            let atLineStart = index == 0 || bytes[index - 1] == 0x0A
            if atLineStart, markers.contains(where: { bytes[index...].starts(with: $0) }) { found = index }
            index += 1
        }
        guard let found else { return (bytes, nil) }
        return (Array(bytes[..<found]), Array(bytes[found...]))
    }

    /// The value of the first header line `name VALUE` of a raw object.
    static func header(_ name: String, in bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { return nil }
            if line.hasPrefix(name + " ") { return String(line.dropFirst(name.count + 1)) }
        }
        return nil
    }

    private static func bytes(_ buffer: git_buf) -> [UInt8] {
        guard let pointer = buffer.ptr else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: buffer.size) { Array(UnsafeBufferPointer(start: $0, count: buffer.size)) }
    }
}
