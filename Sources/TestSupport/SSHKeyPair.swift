import Foundation

/// An SSH key pair made with `ssh-keygen`.
public struct SSHKeyPair: Sendable, Hashable {
    /// The algorithm of a key.
    public enum KeyType: String, Sendable, CaseIterable {
        /// Ed25519 (private key in OpenSSH format; `ssh-keygen` cannot write it as PEM).
        case ed25519
        /// ECDSA P-256 (private key written in PEM format, which older libssh2 reads best).
        case ecdsa
        /// RSA 3072 (private key written in PEM format).
        case rsa
    }

    /// The private key file (mode 0600).
    public var privateKeyPath: URL
    /// The public key file (`.pub`).
    public var publicKeyPath: URL
    /// The public key line, `TYPE BASE64 COMMENT`.
    public var publicKey: String
    /// The passphrase protecting the private key, or nil when it has none.
    public var passphrase: String?
    /// The key's algorithm.
    public var type: KeyType

    /// The public key as `TYPE BASE64` (no comment), the form known_hosts uses.
    public var publicKeyWithoutComment: String {
        publicKey.split(separator: " ").prefix(2).joined(separator: " ")
    }

    /// Generates a key pair at `path` (and `path.pub`), optionally with a passphrase.
    public static func generate(
        at path: URL, type: KeyType = .ed25519, passphrase: String? = nil,
        comment: String = "sluice-test"
    ) throws -> SSHKeyPair {
        var arguments = ["-q", "-t", type.rawValue, "-N", passphrase ?? "", "-C", comment]
        switch type {
        case .ed25519: break
        case .ecdsa: arguments += ["-b", "256", "-m", "PEM"]
        case .rsa: arguments += ["-b", "3072", "-m", "PEM"]
        }
        try? FileManager.default.removeItem(at: path)
        try ProcessRunner.run("ssh-keygen", arguments + ["-f", path.path], check: true)
        let publicPath = URL(fileURLWithPath: path.path + ".pub")
        let publicKey = try String(contentsOf: publicPath, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return SSHKeyPair(
            privateKeyPath: path, publicKeyPath: publicPath, publicKey: publicKey,
            passphrase: passphrase, type: type)
    }
}
