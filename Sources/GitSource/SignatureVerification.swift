import Foundation

/// What an application asks of its commits' signatures before anything is applied, as Flux's
/// `GitRepository` `spec.verify`: which objects must be signed, and the keys that are trusted.
///
/// OpenPGP signatures are checked with `gpgv` against a keyring (armored or binary public keys, a
/// file or a directory of them, such as a mounted Secret); SSH signatures with `ssh-keygen -Y
/// verify` against an allowed-signers file — the programs `git verify-commit` itself runs.
public struct SignatureVerification: Sendable, Hashable, CustomStringConvertible {
    /// Which objects must carry a trusted signature.
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// The commit to be applied.
        case head
        /// The annotated tag that a tag or semver pin resolved (its own signature, not the commit's).
        case tag
        /// Every commit after the last applied revision up to the one to be applied (on the first
        /// sync, that one alone).
        case allCommits = "all-commits"
    }

    /// Which objects must be signed.
    public var mode: Mode
    /// OpenPGP public keys: a file of armored or binary keys, or a directory whose every regular
    /// file is one (a mounted Secret). `nil`: OpenPGP signatures are not trusted.
    public var keyring: String?
    /// An SSH allowed-signers file (`ssh-keygen(1)`, ALLOWED SIGNERS). `nil`: SSH signatures are
    /// not trusted.
    public var allowedSigners: String?

    /// A verification policy from its parts.
    public init(mode: Mode, keyring: String? = nil, allowedSigners: String? = nil) {
        self.mode = mode
        self.keyring = keyring
        self.allowedSigners = allowedSigners
    }

    /// What is wrong with the policy for `spec`, one sentence each, naming the setting with
    /// `names` (flag or field names): no key source, a key file that cannot be read, `tag` on a
    /// pin that is not a tag. Empty when it is usable.
    public func problems(for spec: RefSpec, names: Names = .flags) -> [String] {
        var problems: [String] = []
        if keyring == nil && allowedSigners == nil {
            problems.append("\(names.mode) \(mode.rawValue) needs trusted keys: give \(names.keyring) or \(names.allowedSigners)")
        }
        let manager = FileManager.default
        for (name, path) in [(names.keyring, keyring), (names.allowedSigners, allowedSigners)] {
            guard let path else { continue }
            var isDirectory: ObjCBool = false
            if !manager.fileExists(atPath: path, isDirectory: &isDirectory) {
                problems.append("\(name): \(path) does not exist")
            } else if !manager.isReadableFile(atPath: path) {
                problems.append("\(name): cannot read \(path)")
            } else if isDirectory.boolValue && name == names.allowedSigners {
                problems.append("\(name): \(path) is a directory; name the allowed-signers file")
            }
        }
        if mode == .tag {
            switch spec {
            case .tag, .semver: break
            default:
                problems.append(
                    "\(names.mode) tag verifies the signature of an annotated tag, so it needs a tag or semver pin (this application follows \(spec))")
            }
        }
        return problems
    }

    /// How ``problems(for:names:)`` names the settings.
    public struct Names: Sendable {
        public var mode: String
        public var keyring: String
        public var allowedSigners: String

        /// Names from their parts.
        public init(mode: String, keyring: String, allowedSigners: String) {
            self.mode = mode
            self.keyring = keyring
            self.allowedSigners = allowedSigners
        }

        /// The command line's flags.
        public static let flags = Names(mode: "--verify", keyring: "--verify-keyring", allowedSigners: "--verify-allowed-signers")
    }

    /// `all-commits (keyring /etc/keys, allowed signers /etc/allowed_signers)`: paths only, never keys.
    public var description: String {
        let keys = [keyring.map { "keyring \($0)" }, allowedSigners.map { "allowed signers \($0)" }].compactMap { $0 }
        return "\(mode.rawValue) (\(keys.joined(separator: ", ")))"
    }
}

/// Who signed an object whose signature was checked: an identity and the key.
public struct Signer: Sendable, Hashable, CustomStringConvertible {
    /// The kind of signature.
    public enum Format: String, Sendable, Hashable {
        case openPGP = "openpgp"
        case ssh
        case x509
    }

    /// The kind of signature.
    public var format: Format
    /// Who the key belongs to: the OpenPGP user id, or the SSH principal; empty when unknown.
    public var identity: String
    /// The key: an OpenPGP fingerprint (or long key id when that is all the signature names), or an
    /// SSH key's `SHA256:` fingerprint; empty when unknown.
    public var key: String

    /// A signer from its parts.
    public init(format: Format, identity: String, key: String) {
        self.format = format
        self.identity = identity
        self.key = key
    }

    /// `Alice <alice@example.com> (OpenPGP key 14C8…4E9A)`, as the ledger records it.
    public var description: String {
        let kind = format == .openPGP ? "OpenPGP key" : format == .ssh ? "SSH key" : "X.509 certificate"
        let key = self.key.isEmpty ? kind : "\(kind) \(self.key)"
        return identity.isEmpty ? key : "\(identity) (\(key))"
    }
}
