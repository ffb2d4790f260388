/// One ref as the remote advertises it.
public struct RemoteRef: Sendable, Hashable {
    /// Full ref name (`refs/heads/main`, `refs/tags/v1.0`, `HEAD`).
    public var name: String
    /// The object the ref points at (an annotated tag object for annotated tags).
    public var target: String
    /// For an annotated tag, the commit it peels to.
    public var peeled: String?
    /// For a symbolic ref such as `HEAD`, the ref it points at.
    public var symrefTarget: String?

    /// The commit this ref stands for.
    public var commit: String { peeled ?? target }
}

/// Which commit a ref spec points at, and through which ref.
public struct ResolvedRevision: Sendable, Hashable, Codable {
    /// The full ref name that matched (`refs/tags/v1.4.2`), or the commit id for a commit spec.
    public var ref: String
    /// The commit id, 40 hex digits.
    public var revision: String
}

/// A remote's refs, as listed by one cheap request, and how a ref spec resolves against them.
public struct RemoteListing: Sendable {
    /// The refs seen.
    public var refs: [RemoteRef]
    /// How the listing was obtained (`protocol v2 ls-refs`, `protocol v0 advertisement`, `libgit2`).
    public var method: String

    /// Resolves `spec` against the listing.
    public func resolve(_ spec: RefSpec, url: RepositoryURL) throws -> ResolvedRevision {
        switch spec {
        case .defaultBranch:
            guard let head = refs.first(where: { $0.name == "HEAD" }) else {
                if refs.isEmpty {
                    throw GitSourceError(.notFound, "\(url) is empty: it has no commits yet")
                }
                throw GitSourceError(.notFound, "\(url) has no default branch (no HEAD); pin a branch with --branch")
            }
            if let target = head.symrefTarget, let branch = refs.first(where: { $0.name == target }) {
                return ResolvedRevision(ref: branch.name, revision: branch.commit)
            }
            return ResolvedRevision(ref: head.symrefTarget ?? "HEAD", revision: head.commit)
        case .branch(let name):
            let full = name.hasPrefix("refs/") ? name : "refs/heads/\(name)"
            guard let ref = refs.first(where: { $0.name == full }) else {
                throw GitSourceError(.notFound, "branch '\(name)' not found in \(url)")
            }
            return ResolvedRevision(ref: ref.name, revision: ref.commit)
        case .tag(let name):
            let full = name.hasPrefix("refs/") ? name : "refs/tags/\(name)"
            guard let ref = refs.first(where: { $0.name == full }) else {
                throw GitSourceError(.notFound, "tag '\(name)' not found in \(url)")
            }
            return ResolvedRevision(ref: ref.name, revision: ref.commit)
        case .semver(let range):
            var best: (SemanticVersion, RemoteRef)?
            for ref in refs where ref.name.hasPrefix("refs/tags/") {
                guard let version = SemanticVersion(String(ref.name.dropFirst("refs/tags/".count))), range.contains(version) else { continue }
                // Equal precedence (v1.2.0 and 1.2.0, or different build metadata): the first name in byte order wins, so the choice is stable.
                if let current = best, !(version > current.0 || (version == current.0 && ref.name < current.1.name)) { continue }
                best = (version, ref)
            }
            guard let best else {
                throw GitSourceError(.notFound, "no tag in \(url) matches the semver range '\(range.text)'")
            }
            return ResolvedRevision(ref: best.1.name, revision: best.1.commit)
        case .commit(let sha):
            return ResolvedRevision(ref: sha, revision: sha)
        }
    }

    /// Builds a listing from advertised lines, folding `^{}` peeled entries into their tags.
    static func fold(_ raw: [(oid: String, name: String, symref: String?)], prefixes: [String], method: String) -> RemoteListing {
        var byName: [String: RemoteRef] = [:]
        var order: [String] = []
        for entry in raw {
            if entry.name.hasSuffix("^{}") {
                let base = String(entry.name.dropLast(3))
                byName[base]?.peeled = entry.oid
                continue
            }
            guard prefixes.isEmpty || prefixes.contains(where: { entry.name.hasPrefix($0) }) else { continue }
            if byName[entry.name] == nil { order.append(entry.name) }
            byName[entry.name] = RemoteRef(name: entry.name, target: entry.oid, peeled: nil, symrefTarget: entry.symref)
        }
        return RemoteListing(refs: order.compactMap { byName[$0] }, method: method)
    }
}
