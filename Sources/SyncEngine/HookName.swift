import Manifests

/// Names for hooks written with `generateName` (SYNC-SEMANTICS.md, "Hook names and delete policies").
///
/// Instead of letting the server pick a random suffix, Sluice derives the name from the attempt:
/// the prefix plus `<first 7 of revision>-<phase>-<unix seconds of the attempt start>`, lower case.
/// The same attempt always gives the same name, so an agent restarted mid-sync finds its hooks
/// again, and the name says which commit and phase made it.
public enum HookName {
    /// The longest name derived. Any object name may have 253 characters, but a Job's name becomes
    /// the value of its Pods' `job-name` label, which is limited to 63, so derived names keep to
    /// that (as the server's own `generateName` does).
    public static let maxLength = 63

    /// The name of a `generateName` hook for one phase of one attempt.
    ///
    /// The result is a valid DNS-1123 subdomain of at most ``maxLength`` characters: the prefix is
    /// lower-cased, characters a name cannot hold become `-`, and it is shortened when the whole
    /// would be too long. A prefix not ending in `-` is separated from the suffix by one.
    ///
    /// - Parameters:
    ///   - prefix: the manifest's `metadata.generateName`.
    ///   - revision: the commit being synced (its first 7 characters are used).
    ///   - phase: the phase the hook runs in.
    ///   - attemptStart: when the attempt started, in seconds since the Unix epoch.
    public static func generated(prefix: String, revision: String, phase: HookPhase, attemptStart: Int64) -> String {
        let short = String(revision.lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber) }.prefix(7))
        let suffix = [short, phase.rawValue.lowercased(), String(attemptStart)].filter { !$0.isEmpty }.joined(separator: "-")
        let room = maxLength - suffix.utf8.count - 1
        let base = trimmedEnds(String(sanitized(prefix).prefix(max(room, 0))))
        let name = base.isEmpty ? suffix : base + "-" + suffix
        // The suffix can only start with `-` for a negative time; keep the name valid even then.
        return trimmedEnds(name)
    }

    /// True when `name` is a DNS-1123 subdomain (what most kinds require of `metadata.name`): at most
    /// 253 characters, dot-separated labels of lower-case letters, digits and `-`, each starting and
    /// ending with a letter or digit.
    public static func isValidSubdomain(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard let first = label.first, let last = label.last, isAlphanumeric(first), isAlphanumeric(last) else { return false }
            return label.allSatisfy { isAlphanumeric($0) || $0 == "-" }
        }
    }

    /// The prefix in lower case with every character a name cannot hold replaced by `-`, and each
    /// dot-separated label trimmed of `-` at its ends (empty labels dropped).
    private static func sanitized(_ prefix: String) -> String {
        let mapped = String(prefix.lowercased().map { isAlphanumeric($0) || $0 == "." ? $0 : "-" })
        return mapped.split(separator: ".").map { trimmedEnds(String($0)) }.filter { !$0.isEmpty }.joined(separator: ".")
    }

    /// The text without `-` and `.` at either end.
    private static func trimmedEnds(_ text: String) -> String {
        var result = Substring(text)
        while let first = result.first, first == "-" || first == "." { result = result.dropFirst() }
        while let last = result.last, last == "-" || last == "." { result = result.dropLast() }
        return String(result)
    }

    private static func isAlphanumeric(_ character: Character) -> Bool {
        character.isASCII && (character.isLowercase || character.isNumber)
    }
}
