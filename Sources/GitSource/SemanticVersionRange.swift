/// A range of semantic versions, in the syntax Flux and npm users write:
/// `>=1.2.0 <2.0.0`, `>=1.2, <2`, `^1.2`, `~1.2.3`, `1.x`, `1.2.*`, `1.2 - 1.4`, `*`, and `||` between alternatives.
///
/// Pre-release versions match only when the range itself names a pre-release.
public struct SemanticVersionRange: Sendable, Hashable, CustomStringConvertible {
    struct Comparator: Sendable, Hashable {
        enum Op: String, Sendable { case eq = "=", ne = "!=", gt = ">", ge = ">=", lt = "<", le = "<=" }
        var op: Op
        var version: SemanticVersion

        func matches(_ v: SemanticVersion) -> Bool {
            switch op {
            case .eq: return v == version
            case .ne: return v != version
            case .gt: return v > version
            case .ge: return v >= version
            case .lt: return v < version
            case .le: return v <= version
            }
        }
    }

    /// Alternatives (`||`), each a conjunction of comparators.
    let alternatives: [[Comparator]]
    /// The range as written.
    public let text: String

    /// Parses `text`, or throws an error that quotes the part it could not read.
    public init(_ text: String) throws {
        self.text = text
        var alternatives: [[Comparator]] = []
        for alternative in text.components(separatedBy: "||") {
            let trimmed = alternative.trimmingCharacters(in: .whitespaces)
            alternatives.append(try SemanticVersionRange.parseConjunction(trimmed, whole: text))
        }
        self.alternatives = alternatives
    }

    public var description: String { text }

    /// Whether the range names a pre-release, which lets pre-release versions match.
    public var includesPrereleases: Bool {
        alternatives.contains { $0.contains { $0.version.isPrerelease } }
    }

    /// Whether `version` is in the range.
    public func contains(_ version: SemanticVersion) -> Bool {
        if version.isPrerelease && !includesPrereleases { return false }
        return alternatives.contains { set in set.allSatisfy { $0.matches(version) } }
    }

    /// The highest version in `candidates` that the range contains.
    public func best<S: Sequence>(of candidates: S) -> SemanticVersion? where S.Element == SemanticVersion {
        candidates.filter(contains).max()
    }

    private static func parseConjunction(_ text: String, whole: String) throws -> [Comparator] {
        if text.isEmpty || text == "*" || text == "x" || text == "X" {
            return [Comparator(op: .ge, version: SemanticVersion(0, 0, 0))]
        }
        // Hyphen range: `A - B`.
        let hyphen = text.components(separatedBy: " - ")
        if hyphen.count == 2 {
            let low = try partial(hyphen[0].trimmingCharacters(in: .whitespaces), whole)
            let high = try partial(hyphen[1].trimmingCharacters(in: .whitespaces), whole)
            var result = [Comparator(op: .ge, version: low.version)]
            if let w = high.wildcardAt {
                result.append(Comparator(op: .lt, version: bump(high.version, at: w)))
            } else {
                result.append(Comparator(op: .le, version: high.version))
            }
            return result
        }
        // Tokens separated by spaces or commas; an operator may be followed by a space (`>= 1.2`).
        var tokens: [String] = []
        var pendingOp = ""
        for raw in text.split(whereSeparator: { $0 == " " || $0 == "," }) {
            let token = String(raw)
            if token.allSatisfy({ "<>=!~^".contains($0) }) {
                pendingOp += token
                continue
            }
            tokens.append(pendingOp + token)
            pendingOp = ""
        }
        guard pendingOp.isEmpty, !tokens.isEmpty else {
            throw GitSourceError(.invalidInput, "invalid semver range '\(whole)': an operator has no version")
        }
        return try tokens.flatMap { try comparators($0, whole) }
    }

    private static func comparators(_ token: String, _ whole: String) throws -> [Comparator] {
        let ops = ["!=", ">=", "<=", "==", ">", "<", "=", "~>", "~", "^"]
        guard let op = ops.first(where: { token.hasPrefix($0) }) ?? (token.first?.isNumber == true || "vVxX*".contains(token.first ?? " ") ? "" : nil) else {
            throw GitSourceError(.invalidInput, "invalid semver range '\(whole)': cannot read '\(token)'")
        }
        let rest = String(token.dropFirst(op.count)).trimmingCharacters(in: .whitespaces)
        let p = try partial(rest, whole)
        let v = p.version
        switch op {
        case "^":
            let w = p.wildcardAt ?? 3
            let upper: SemanticVersion
            if v.major > 0 || w <= 1 { upper = SemanticVersion(v.major + 1, 0, 0) }
            else if v.minor > 0 || w == 2 { upper = SemanticVersion(0, v.minor + 1, 0) }
            else { upper = SemanticVersion(0, 0, v.patch + 1) }
            return [Comparator(op: .ge, version: v), Comparator(op: .lt, version: withPrereleaseFloor(upper, v))]
        case "~", "~>":
            let w = p.wildcardAt ?? 3
            let upper = w <= 1 ? SemanticVersion(v.major + 1, 0, 0) : SemanticVersion(v.major, v.minor + 1, 0)
            return [Comparator(op: .ge, version: v), Comparator(op: .lt, version: withPrereleaseFloor(upper, v))]
        case "", "=", "==":
            if let w = p.wildcardAt {
                if w == 0 { return [Comparator(op: .ge, version: SemanticVersion(0, 0, 0))] }
                return [Comparator(op: .ge, version: v), Comparator(op: .lt, version: withPrereleaseFloor(bump(v, at: w), v))]
            }
            return [Comparator(op: .eq, version: v)]
        case "!=":
            return [Comparator(op: .ne, version: v)]
        case ">":
            if let w = p.wildcardAt { return w == 0 ? [Comparator(op: .lt, version: SemanticVersion(0, 0, 0))] : [Comparator(op: .ge, version: bump(v, at: w))] }
            return [Comparator(op: .gt, version: v)]
        case ">=":
            return [Comparator(op: .ge, version: v)]
        case "<":
            return [Comparator(op: .lt, version: v)]
        case "<=":
            if let w = p.wildcardAt { return w == 0 ? [Comparator(op: .ge, version: SemanticVersion(0, 0, 0))] : [Comparator(op: .lt, version: bump(v, at: w))] }
            return [Comparator(op: .le, version: v)]
        default:
            throw GitSourceError(.invalidInput, "invalid semver range '\(whole)': unknown operator '\(op)'")
        }
    }

    /// An upper bound like `<2.0.0` must also exclude `2.0.0-rc.1` when pre-releases are in play.
    private static func withPrereleaseFloor(_ upper: SemanticVersion, _ lower: SemanticVersion) -> SemanticVersion {
        lower.isPrerelease ? SemanticVersion(upper.major, upper.minor, upper.patch, prerelease: ["0"]) : upper
    }

    private static func partial(_ text: String, _ whole: String) throws -> (version: SemanticVersion, wildcardAt: Int?) {
        guard let p = SemanticVersion.parse(text, allowWildcards: true) else {
            throw GitSourceError(.invalidInput, "invalid semver range '\(whole)': '\(text)' is not a version")
        }
        return p
    }

    private static func bump(_ v: SemanticVersion, at wildcard: Int) -> SemanticVersion {
        wildcard <= 1 ? SemanticVersion(v.major + 1, 0, 0) : SemanticVersion(v.major, v.minor + 1, 0)
    }
}
