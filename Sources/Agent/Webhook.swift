import Crypto
import Foundation
import GitSource
import KubeModel

/// A push webhook from a forge: which forge, how its signature is checked, and which repository
/// URLs its payload names (DESIGN.md, "HTTP endpoints of sluice agent").
public enum Webhook: String, Sendable, CaseIterable {
    /// GitHub: `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>`.
    case github
    /// GitLab: `X-Gitlab-Token: <secret>`.
    case gitlab
    /// Gitea and Forgejo: `X-Gitea-Signature` (or `X-Forgejo-Signature`): hex HMAC-SHA256 of the body.
    case gitea
    /// Bitbucket (Cloud and Data Center): `X-Hub-Signature: sha256=<HMAC-SHA256 of the body>`.
    case bitbucket
    /// Anything else: `X-Sluice-Signature-256: sha256=<HMAC-SHA256 of the body>`, and a body with
    /// `repository` (a URL) or `urls` (a list of URLs).
    case generic

    /// The most bytes of a webhook body accepted.
    public static let maxBodyBytes = 1 << 20

    /// True when the request carries a valid signature (or token) for `secret`. Compared in
    /// constant time; a missing header is invalid.
    public func verify(body: [UInt8], headers: [String: String], secret: [UInt8]) -> Bool {
        func header(_ name: String) -> String? { headers[name.lowercased()] }
        switch self {
        case .gitlab:
            guard let token = header("X-Gitlab-Token") else { return false }
            return Self.constantTimeEqual(Array(token.utf8), secret)
        case .gitea:
            guard let signature = header("X-Gitea-Signature") ?? header("X-Forgejo-Signature") else { return false }
            return Self.matches(hex: signature, body: body, secret: secret)
        case .github:
            return Self.matches(prefixed: header("X-Hub-Signature-256"), body: body, secret: secret)
        case .bitbucket:
            return Self.matches(prefixed: header("X-Hub-Signature"), body: body, secret: secret)
        case .generic:
            return Self.matches(prefixed: header("X-Sluice-Signature-256"), body: body, secret: secret)
        }
    }

    /// The id the forge gives this delivery, the same when it sends the delivery again (a retry
    /// or a redelivery): GitHub's `X-GitHub-Delivery`, GitLab's `Idempotency-Key` (else
    /// `X-Gitlab-Event-UUID`), Gitea's `X-Gitea-Delivery` (Forgejo's `X-Forgejo-Delivery`, Gogs'
    /// `X-Gogs-Delivery`), Bitbucket Cloud's `X-Request-UUID` (Data Center's `X-Request-Id`), and
    /// for the generic hook `X-Sluice-Delivery`; `nil` when the request has none. The forges do
    /// not sign it: only take it into account once the signature is verified.
    public func deliveryID(headers: [String: String]) -> String? {
        let names: [String]
        switch self {
        case .github: names = ["X-GitHub-Delivery"]
        case .gitlab: names = ["Idempotency-Key", "X-Gitlab-Event-UUID"]
        case .gitea: names = ["X-Gitea-Delivery", "X-Forgejo-Delivery", "X-Gogs-Delivery"]
        case .bitbucket: names = ["X-Request-UUID", "X-Request-Id"]
        case .generic: names = ["X-Sluice-Delivery"]
        }
        for name in names {
            if let value = headers[name.lowercased()]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { return value }
        }
        return nil
    }

    /// The repository URLs a push payload names (clone, SSH and web URLs), as the forge sends them.
    public func repositoryURLs(in payload: JSONValue) -> [String] {
        var urls: [String] = []
        func add(_ value: JSONValue?) { if let text = value?.stringValue, !text.isEmpty { urls.append(text) } }
        switch self {
        case .github, .gitea:
            for key in ["clone_url", "ssh_url", "html_url", "git_url", "url"] { add(payload[path: ["repository", key]]) }
        case .gitlab:
            for key in ["git_http_url", "git_ssh_url", "web_url", "http_url", "ssh_url"] { add(payload[path: ["project", key]]) }
            for key in ["git_http_url", "git_ssh_url", "homepage", "url"] { add(payload[path: ["repository", key]]) }
        case .bitbucket:
            add(payload[path: ["repository", "links", "html", "href"]])
            for link in payload[path: ["repository", "links", "clone"]]?.arrayValue ?? [] { add(link["href"]) }
            if let fullName = payload[path: ["repository", "full_name"]]?.stringValue {
                urls.append("https://bitbucket.org/\(fullName)")
            }
        case .generic:
            add(payload["repository"])
            for url in payload["urls"]?.arrayValue ?? [] { add(url) }
        }
        return urls
    }

    /// What identifies a repository across the URLs of its forms: the host in lower case and the
    /// path without user, port, scheme, trailing slash or `.git`, compared case-insensitively
    /// (`https://GitHub.com/Org/App.git` and `git@github.com:org/app` are the same repository).
    public static func repositoryKey(_ url: RepositoryURL) -> String {
        var path = url.path
        while path.hasSuffix("/") { path.removeLast() }
        if path.hasSuffix(".git") { path.removeLast(4) }
        while path.hasPrefix("/") { path.removeFirst() }
        switch url.transport {
        case .local: return "file:/" + path
        default: return ((url.host ?? "") + "/" + path).lowercased()
        }
    }

    static func matches(prefixed header: String?, body: [UInt8], secret: [UInt8]) -> Bool {
        guard let header, header.lowercased().hasPrefix("sha256=") else { return false }
        return matches(hex: String(header.dropFirst(7)), body: body, secret: secret)
    }

    static func matches(hex: String, body: [UInt8], secret: [UInt8]) -> Bool {
        let expected = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret))
        let expectedHex = Array(expected.map { String(format: "%02x", $0) }.joined().utf8)
        return constantTimeEqual(Array(hex.lowercased().utf8), expectedHex)
    }

    /// Compares without stopping at the first difference, so the time taken says nothing about the secret.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<max(lhs.count, rhs.count) {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }
}
