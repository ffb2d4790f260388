/// What a user pins an application to.
public enum RefSpec: Sendable, Hashable, CustomStringConvertible {
    /// The remote's default branch (its `HEAD`).
    case defaultBranch
    /// The head of a branch.
    case branch(String)
    /// A tag; annotated tags are peeled to their commit.
    case tag(String)
    /// The highest tag in a semver range.
    case semver(SemanticVersionRange)
    /// An exact commit (40 hex digits, or an unambiguous prefix of at least 7).
    case commit(String)

    public var description: String {
        switch self {
        case .defaultBranch: return "default branch"
        case .branch(let name): return "branch \(name)"
        case .tag(let name): return "tag \(name)"
        case .semver(let range): return "semver \(range.text)"
        case .commit(let sha): return "commit \(sha)"
        }
    }

    /// The ref prefixes a listing needs to see to resolve this spec.
    var refPrefixes: [String] {
        switch self {
        case .defaultBranch: return ["HEAD"]
        case .branch(let name): return ["refs/heads/\(name)"]
        case .tag(let name): return ["refs/tags/\(name)"]
        case .semver: return ["refs/tags/"]
        case .commit: return []
        }
    }
}
