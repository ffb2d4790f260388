import Foundation

/// A Git remote as the user wrote it, parsed into the parts Sluice needs.
///
/// Accepts https://, http://, ssh://, scp-style `user@host:path`, git://, file:// and local paths.
public struct RepositoryURL: Sendable, Hashable, CustomStringConvertible {
    /// The transport the URL selects.
    public enum Transport: String, Sendable {
        case local, http, https, ssh, git
    }

    /// The transport.
    public let transport: Transport
    /// The URL handed to libgit2 (credentials removed; scp-style kept as written).
    public let gitURL: String
    /// Host name, when there is one.
    public let host: String?
    /// Port, when one is given.
    public let port: Int?
    /// The user name embedded in the URL (never a password).
    public let user: String?
    /// The path on the server, or the local path.
    public let path: String

    /// Parses `string`, rejecting what no transport understands.
    public init(_ string: String) throws {
        let trimmed = string.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw GitSourceError(.invalidInput, "the repository URL is empty")
        }
        if let schemeEnd = trimmed.range(of: "://") {
            let scheme = trimmed[..<schemeEnd.lowerBound].lowercased()
            guard let components = URLComponents(string: trimmed) else {
                throw GitSourceError(.invalidInput, "the repository URL \(RepositoryURL.redact(trimmed)) cannot be parsed")
            }
            switch scheme {
            case "http": transport = .http
            case "https": transport = .https
            case "ssh", "git+ssh", "ssh+git": transport = .ssh
            case "git": transport = .git
            case "file": transport = .local
            default:
                throw GitSourceError(.invalidInput, "unsupported URL scheme '\(scheme)' in \(RepositoryURL.redact(trimmed)); use https, http, ssh, git or file")
            }
            host = components.host
            port = components.port
            user = components.user.flatMap { $0.isEmpty ? nil : $0 }
            path = components.path
            if transport == .local {
                gitURL = components.path
            } else {
                var clean = components
                clean.password = nil
                if transport != .ssh { clean.user = nil }
                if transport == .ssh, scheme != "ssh" { clean.scheme = "ssh" }
                guard let rebuilt = clean.string else {
                    throw GitSourceError(.invalidInput, "the repository URL \(RepositoryURL.redact(trimmed)) cannot be parsed")
                }
                gitURL = rebuilt
            }
            if transport != .local && (host ?? "").isEmpty {
                throw GitSourceError(.invalidInput, "the repository URL \(RepositoryURL.redact(trimmed)) has no host")
            }
        } else if let scp = RepositoryURL.parseSCP(trimmed) {
            transport = .ssh
            user = scp.user
            host = scp.host
            port = nil
            path = scp.path
            gitURL = trimmed
        } else {
            transport = .local
            host = nil
            port = nil
            user = nil
            let absolute = URL(fileURLWithPath: trimmed).standardizedFileURL.path
            path = absolute
            gitURL = absolute
        }
    }

    /// A URL taken as it is, for the rare path where libgit2 hands back something unparseable.
    init(unparsed: String) {
        transport = .http
        gitURL = RepositoryURL.redact(unparsed)
        host = nil
        port = nil
        user = nil
        path = ""
    }

    /// `user@host:path` with no scheme, where the part before the colon has no slash.
    private static func parseSCP(_ s: String) -> (user: String?, host: String, path: String)? {
        guard let colon = s.firstIndex(of: ":") else { return nil }
        let before = s[..<colon]
        let after = s[s.index(after: colon)...]
        if before.contains("/") || before.isEmpty || after.isEmpty { return nil }
        if let at = before.firstIndex(of: "@") {
            let user = String(before[..<at])
            let host = String(before[before.index(after: at)...])
            guard !host.isEmpty else { return nil }
            return (user.isEmpty ? nil : user, host, String(after))
        }
        // A single letter before the colon is a Windows drive, not a host.
        if before.count == 1 { return nil }
        return (nil, String(before), String(after))
    }

    /// The URL with any password or token removed, safe for logs and errors.
    public var description: String { RepositoryURL.redact(gitURL) }

    /// A normalised form for comparing two URLs of the same repository:
    /// lower-case host, no user, no trailing `.git` or slash.
    public var normalized: String {
        var p = path
        while p.hasSuffix("/") { p.removeLast() }
        if p.hasSuffix(".git") { p.removeLast(4) }
        if !p.hasPrefix("/") { p = "/" + p }
        switch transport {
        case .local: return "file://" + p
        default:
            let portPart = port.map { ":\($0)" } ?? ""
            return "\(transport.rawValue)://\((host ?? "").lowercased())\(portPart)\(p)"
        }
    }

    /// Removes `user:password@` (or `token@`) from anything that looks like a URL in `text`.
    public static func redact(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: "://") {
            // An SSH user name is not a secret; in http(s) URLs a bare user part is often a token.
            let isSSH = rest[..<range.lowerBound].lowercased().hasSuffix("ssh")
            result += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            let end = rest.firstIndex(where: { $0 == "/" || $0 == " " || $0 == "\n" || $0 == "'" || $0 == "\"" }) ?? rest.endIndex
            let authority = rest[..<end]
            if let at = authority.lastIndex(of: "@") {
                let userinfo = authority[..<at]
                if let colon = userinfo.firstIndex(of: ":") {
                    result += userinfo[..<colon] + ":***"
                } else if isSSH {
                    result += userinfo
                } else {
                    result += "***"
                }
                result += authority[at...]
            } else {
                result += authority
            }
            rest = rest[end...]
        }
        return result + rest
    }
}
