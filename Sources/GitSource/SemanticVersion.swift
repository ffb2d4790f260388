/// A semantic version (semver.org 2.0.0) parsed from a tag name, with an optional `v` prefix.
///
/// Missing minor or patch numbers count as 0 (`v1.2` is 1.2.0), as Flux's semver reads tags.
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int
    /// Pre-release identifiers (`rc.1` → `["rc", "1"]`); empty for a release.
    public var prerelease: [String]
    /// Build metadata; ignored for ordering.
    public var build: String?

    /// Creates a version from its parts.
    public init(_ major: Int, _ minor: Int, _ patch: Int, prerelease: [String] = [], build: String? = nil) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.build = build
    }

    /// Parses `text` (`1.2.3`, `v1.2.3-rc.1+build.5`, `1.2`); nil when it is not a version.
    public init?(_ text: String) {
        guard let parsed = SemanticVersion.parse(text, allowWildcards: false), parsed.wildcardAt == nil else { return nil }
        self = parsed.version
    }

    /// A version where parts may be missing or `x`/`X`/`*`; `wildcardAt` is the first such part (0, 1 or 2).
    static func parse(_ text: String, allowWildcards: Bool) -> (version: SemanticVersion, wildcardAt: Int?)? {
        var s = Substring(text)
        if s.first == "v" || s.first == "V" { s = s.dropFirst() }
        var build: String?
        if let plus = s.firstIndex(of: "+") {
            build = String(s[s.index(after: plus)...])
            s = s[..<plus]
            guard let build, !build.isEmpty, build.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isIdentifier) else { return nil }
        }
        var prerelease: [String] = []
        if let dash = s.firstIndex(of: "-") {
            let pre = s[s.index(after: dash)...]
            s = s[..<dash]
            let parts = pre.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !parts.isEmpty, parts.allSatisfy({ isIdentifier(Substring($0)) }) else { return nil }
            for part in parts where part.count > 1 && part.hasPrefix("0") && part.allSatisfy(\.isNumber) { return nil }
            prerelease = parts
        }
        let numbers = s.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(numbers.count) else { return nil }
        var values = [0, 0, 0]
        var wildcard: Int?
        for (i, part) in numbers.enumerated() {
            if part == "x" || part == "X" || part == "*" {
                guard allowWildcards else { return nil }
                if wildcard == nil { wildcard = i }
                continue
            }
            guard wildcard == nil, !part.isEmpty, part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber),
                  part == "0" || !part.hasPrefix("0"), let n = Int(part) else { return nil }
            values[i] = n
        }
        if numbers.count < 3 && wildcard == nil && allowWildcards { wildcard = numbers.count }
        return (SemanticVersion(values[0], values[1], values[2], prerelease: prerelease, build: build), wildcard)
    }

    private static func isIdentifier(_ s: Substring) -> Bool {
        !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    public var isPrerelease: Bool { !prerelease.isEmpty }

    public var description: String {
        var s = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { s += "-" + prerelease.joined(separator: ".") }
        if let build { s += "+" + build }
        return s
    }

    /// Semver precedence: numbers, then a release above its pre-releases, then identifiers pairwise.
    public static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        if a.major != b.major { return a.major < b.major }
        if a.minor != b.minor { return a.minor < b.minor }
        if a.patch != b.patch { return a.patch < b.patch }
        switch (a.prerelease.isEmpty, b.prerelease.isEmpty) {
        case (true, true): return false
        case (true, false): return false
        case (false, true): return true
        case (false, false): break
        }
        for (x, y) in zip(a.prerelease, b.prerelease) where x != y {
            switch (Int(x), Int(y)) {
            case let (m?, n?): return m < n
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return x < y
            }
        }
        return a.prerelease.count < b.prerelease.count
    }

    /// Equality ignores build metadata, as precedence does.
    public static func == (a: SemanticVersion, b: SemanticVersion) -> Bool {
        a.major == b.major && a.minor == b.minor && a.patch == b.patch && a.prerelease == b.prerelease
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
        hasher.combine(prerelease)
    }
}
