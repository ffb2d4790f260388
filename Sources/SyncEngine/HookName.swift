import Manifests

/// Names for hooks written with `generateName` or with no name at all (SYNC-SEMANTICS.md, "Hook
/// names and delete policies").
///
/// Instead of letting the server pick a random suffix, Sluice names the hook as gitops-engine's
/// `sync_context.go` does: the `generateName` prefix as written, followed directly by
/// `<first 7 of revision>-<phase>-<unix seconds of the attempt start>` in lower case. A hook with
/// neither `name` nor `generateName` gets the suffix alone. The same attempt always gives the same
/// name, so an agent restarted mid-sync finds its hooks again, and the name says which commit and
/// phase made it.
public enum HookName {
    /// The longest name derived. Any object name may have 253 characters, but a Job's name becomes
    /// the value of its Pods' `job-name` label, which is limited to 63, so derived names keep to
    /// that (as the server's own `generateName` does).
    public static let maxLength = 63

    /// The name of a hook without `metadata.name`, for one phase of one attempt.
    ///
    /// Argo CD's name is `prefix + suffix` with nothing in between (a prefix `migrate-` gives
    /// `migrate-abc1234-presync-1700000000`, a prefix `migrate` gives `migrateabc1234-…`); when
    /// that is a valid name of at most ``maxLength`` characters, it is the name. Only a name Argo CD
    /// would have sent and the server refused is repaired: the prefix is lower-cased, characters a
    /// name cannot hold become `-`, and it is shortened until the whole fits.
    ///
    /// - Parameters:
    ///   - prefix: the manifest's `metadata.generateName`; empty for a hook with no name at all.
    ///   - revision: the commit being synced (its first 7 characters are used).
    ///   - phase: the phase the hook runs in.
    ///   - attemptStart: when the attempt started, in seconds since the Unix epoch.
    public static func generated(prefix: String, revision: String, phase: HookPhase, attemptStart: Int64) -> String {
        let short = String(revision.lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber) }.prefix(7))
        let suffix = [short, phase.rawValue.lowercased(), String(attemptStart)].filter { !$0.isEmpty }.joined(separator: "-")
        let argo = prefix + suffix
        if argo.utf8.count <= maxLength, isValidSubdomain(argo) { return argo }
        let room = max(maxLength - suffix.utf8.count, 0)
        let base = String(leadingTrimmed(sanitized(prefix)).prefix(room))
        // The suffix can only start with `-` for a negative time; keep the name valid even then.
        return repaired(base + suffix)
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

    /// The prefix in lower case with every character a name cannot hold replaced by `-`.
    private static func sanitized(_ prefix: String) -> String {
        String(prefix.lowercased().map { isAlphanumeric($0) || $0 == "." ? $0 : "-" })
    }

    /// The text without `-` and `.` at its start.
    private static func leadingTrimmed(_ text: String) -> Substring {
        var result = Substring(text)
        while let first = result.first, first == "-" || first == "." { result = result.dropFirst() }
        return result
    }

    /// The name with each dot-separated label trimmed of `-` at its ends and empty labels dropped,
    /// so that it is a valid subdomain.
    private static func repaired(_ name: String) -> String {
        name.split(separator: ".").map { label -> String in
            var label = label
            while label.first == "-" { label = label.dropFirst() }
            while label.last == "-" { label = label.dropLast() }
            return String(label)
        }
        .filter { !$0.isEmpty }.joined(separator: ".")
    }

    private static func isAlphanumeric(_ character: Character) -> Bool {
        character.isASCII && (character.isLowercase || character.isNumber)
    }
}
