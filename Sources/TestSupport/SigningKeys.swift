import Foundation

/// A key that signs commits and tags in tests, made with the real tools: an OpenPGP key by
/// `gpg --quick-gen-key` in a GnuPG home of its own (no passphrase), or an SSH key by `ssh-keygen`.
///
/// Signing an OpenPGP commit starts a `gpg-agent` for the key's home; ``stop()`` (or deinit)
/// stops it with `gpgconf --kill`, so no agent outlives the test.
public final class SigningKey: @unchecked Sendable {
    /// The kind of key.
    public enum Kind: String, Sendable {
        case openPGP
        case ssh
    }

    /// The kind of key.
    public let kind: Kind
    /// The OpenPGP user id (`Alice <alice@example.com>`), or the SSH principal (`alice@example.com`).
    public let identity: String
    /// The e-mail address the key was made for.
    public let email: String
    /// The OpenPGP primary key's fingerprint (40 hex digits), or the SSH key's `SHA256:…` fingerprint.
    public let fingerprint: String
    /// The armored OpenPGP public key (`.asc`), or the SSH public key (`.pub`).
    public let publicKeyFile: URL
    /// The GnuPG home (OpenPGP), or the private key file (SSH).
    let secret: URL

    private init(kind: Kind, identity: String, email: String, fingerprint: String, publicKeyFile: URL, secret: URL) {
        self.kind = kind
        self.identity = identity
        self.email = email
        self.fingerprint = fingerprint
        self.publicKeyFile = publicKeyFile
        self.secret = secret
    }

    deinit { stop() }

    /// An Ed25519 OpenPGP signing key for `name <email>`, with its home and armored public key in `directory`.
    public static func openPGP(name: String, email: String, in directory: URL) throws -> SigningKey {
        let label = email.split(separator: "@").first.map(String.init) ?? "key"
        let home = directory.appendingPathComponent("gnupg-\(label)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let identity = "\(name) <\(email)>"
        try gpg(home, ["--passphrase", "", "--quick-gen-key", identity, "ed25519", "sign", "never"])
        let listing = try gpg(home, ["--with-colons", "--list-keys", email]).output
        guard let line = listing.split(separator: "\n").first(where: { $0.hasPrefix("fpr:") }),
              let fingerprint = line.split(separator: ":", omittingEmptySubsequences: false).dropFirst(9).first
        else { throw TestSupportError(.invalidArgument, "gpg listed no fingerprint for \(email): \(listing)") }
        let publicKey = directory.appendingPathComponent("\(label).asc")
        try gpg(home, ["--armor", "--export", email]).stdout.write(to: publicKey)
        return SigningKey(kind: .openPGP, identity: identity, email: email, fingerprint: String(fingerprint), publicKeyFile: publicKey, secret: home)
    }

    /// An Ed25519 SSH signing key for the principal `email`, in `directory`.
    public static func ssh(email: String, in directory: URL) throws -> SigningKey {
        let label = email.split(separator: "@").first.map(String.init) ?? "key"
        let pair = try SSHKeyPair.generate(at: directory.appendingPathComponent("ssh-\(label)"), comment: email)
        let listed = try ProcessRunner.run("ssh-keygen", ["-l", "-f", pair.publicKeyPath.path], check: true).trimmedOutput
        let fields = listed.split(separator: " ")
        guard fields.count >= 2 else { throw TestSupportError(.invalidArgument, "ssh-keygen -l printed '\(listed)'") }
        return SigningKey(kind: .ssh, identity: email, email: email, fingerprint: String(fields[1]), publicKeyFile: pair.publicKeyPath, secret: pair.privateKeyPath)
    }

    /// The `git -c` settings that make `commit -S` and `tag -s` sign with this key. An OpenPGP key
    /// is named by its e-mail address, as people usually do: gpg then puts it in the signature
    /// (the signer's user id), where a verifier can read it even without the public key.
    public var gitConfiguration: [String] {
        switch kind {
        case .openPGP: return ["-c", "gpg.format=openpgp", "-c", "user.signingkey=\(email)"]
        case .ssh: return ["-c", "gpg.format=ssh", "-c", "user.signingkey=\(secret.path)"]
        }
    }

    /// The environment git needs to sign with this key (`GNUPGHOME` for OpenPGP).
    public var gitEnvironment: [String: String] {
        kind == .openPGP ? ["GNUPGHOME": secret.path] : [:]
    }

    /// The OpenPGP key's long key id (its fingerprint's last 16 hex digits).
    public var keyID: String { String(fingerprint.suffix(16)) }

    /// Stops the `gpg-agent` that signing started, if any.
    public func stop() {
        guard kind == .openPGP else { return }
        _ = try? ProcessRunner.run("gpgconf", ["--homedir", secret.path, "--kill", "all"], timeout: .seconds(10))
    }

    /// Writes the armored public keys of the OpenPGP `keys` into one keyring file at `url`.
    public static func writeKeyring(_ keys: [SigningKey], to url: URL) throws {
        var data = Data()
        for key in keys where key.kind == .openPGP { data.append(try Data(contentsOf: key.publicKeyFile)) }
        try data.write(to: url)
    }

    /// Writes an allowed-signers file (`PRINCIPAL namespaces="git" KEY`) for the SSH `keys` at `url`.
    public static func writeAllowedSigners(_ keys: [SigningKey], to url: URL) throws {
        var lines: [String] = []
        for key in keys where key.kind == .ssh {
            let publicKey = try String(contentsOf: key.publicKeyFile, encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
            lines.append("\(key.identity) namespaces=\"git\" \(publicKey)")
        }
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    @discardableResult
    private static func gpg(_ home: URL, _ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run("gpg", ["--homedir", home.path, "--batch", "--no-tty", "--quiet"] + arguments, timeout: .seconds(60), check: true)
    }
}

extension GitRepository {
    /// Stages everything and commits, signed by `key` (`git commit -S`); returns the commit's id.
    @discardableResult
    public func commit(_ message: String, signedBy key: SigningKey, author: GitSignature = .test, allowEmpty: Bool = false) throws -> String {
        try git("add", "-A")
        var arguments = key.gitConfiguration + ["commit", "--quiet", "--no-verify", "-S", "-m", message]
        if allowEmpty { arguments.append("--allow-empty") }
        try git(arguments, environment: Self.signatureEnvironment(author, author, nextDate()).merging(key.gitEnvironment) { $1 })
        return try headCommit()
    }

    /// Creates an annotated tag signed by `key` (`git tag -s`).
    public func tag(_ name: String, at revision: String = "HEAD", message: String, signedBy key: SigningKey, force: Bool = false) throws {
        var arguments = key.gitConfiguration + ["tag", "--sign", "--message", message]
        if force { arguments.append("--force") }
        arguments += [name, revision]
        try git(arguments, environment: Self.signatureEnvironment(.test, .test, nextDate()).merging(key.gitEnvironment) { $1 })
    }
}
