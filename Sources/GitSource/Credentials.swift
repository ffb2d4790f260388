import Foundation

/// A secret value (password, token, passphrase) that prints as `<redacted>`.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself; read it only where it is handed to libgit2 or libcurl.
    public let value: String

    /// Wraps `value`.
    public init(_ value: String) { self.value = value }

    /// Reads a secret from a file, dropping one trailing newline.
    public static func file(_ path: String) throws -> Secret {
        guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
            throw GitSourceError(.invalidInput, "cannot read the secret file \(path)")
        }
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        return Secret(text)
    }

    /// Reads a secret from an environment variable.
    public static func environment(_ name: String) throws -> Secret {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw GitSourceError(.invalidInput, "the environment variable \(name) is not set")
        }
        return Secret(value)
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}

/// How to authenticate to a remote and which servers to trust.
public struct GitCredentials: Sendable, Hashable {
    /// User name for HTTPS basic auth or SSH (overrides the one in the URL).
    public var username: String?
    /// Password or token for HTTPS basic auth.
    public var password: Secret?
    /// Bearer token for HTTPS (`Authorization: Bearer`).
    public var bearerToken: Secret?
    /// Path of an SSH private key.
    public var sshPrivateKey: String?
    /// Passphrase of the SSH private key.
    public var sshPassphrase: Secret?
    /// Path of a known_hosts file; SSH host keys not listed there are refused.
    public var knownHosts: String?
    /// A PEM bundle of CAs to trust for HTTPS instead of the system store.
    public var caBundle: String?
    /// Skip TLS verification. Must be asked for explicitly.
    public var insecureSkipTLSVerify: Bool

    /// Creates credentials; everything is optional.
    public init(
        username: String? = nil, password: Secret? = nil, bearerToken: Secret? = nil,
        sshPrivateKey: String? = nil, sshPassphrase: Secret? = nil, knownHosts: String? = nil,
        caBundle: String? = nil, insecureSkipTLSVerify: Bool = false
    ) {
        self.username = username
        self.password = password
        self.bearerToken = bearerToken
        self.sshPrivateKey = sshPrivateKey
        self.sshPassphrase = sshPassphrase
        self.knownHosts = knownHosts
        self.caBundle = caBundle
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
    }
}
