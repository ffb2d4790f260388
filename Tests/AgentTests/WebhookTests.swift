import Agent
import Crypto
import Foundation
import GitSource
import KubeModel
import Testing

@Suite("Push webhooks: signatures and repository URLs")
struct WebhookTests {
    static let secret = Array("s3cret-webhook".utf8)
    static let body = Array(#"{"ref":"refs/heads/main","repository":{"clone_url":"https://github.com/Shop/App.git"}}"#.utf8)

    static func hmac(_ body: [UInt8], _ secret: [UInt8] = secret) -> String {
        HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret)).map { String(format: "%02x", $0) }.joined()
    }

    @Test("each forge's valid signature or token is accepted", arguments: Webhook.allCases)
    func validSignature(_ forge: Webhook) {
        let signature = Self.hmac(Self.body)
        let headers: [String: String]
        switch forge {
        case .github: headers = ["x-hub-signature-256": "sha256=" + signature]
        case .gitlab: headers = ["x-gitlab-token": "s3cret-webhook"]
        case .gitea: headers = ["x-gitea-signature": signature]
        case .bitbucket: headers = ["x-hub-signature": "sha256=" + signature]
        case .generic: headers = ["x-sluice-signature-256": "sha256=" + signature]
        }
        #expect(forge.verify(body: Self.body, headers: headers, secret: Self.secret))
        // The same headers with another secret, or another body, are refused.
        #expect(!forge.verify(body: Self.body, headers: headers, secret: Array("other".utf8)))
        if forge != .gitlab {
            #expect(!forge.verify(body: Self.body + [0x20], headers: headers, secret: Self.secret))
        }
        #expect(!forge.verify(body: Self.body, headers: [:], secret: Self.secret))
    }

    @Test("a signature of the wrong form is refused")
    func malformedSignatures() {
        let signature = Self.hmac(Self.body)
        #expect(!Webhook.github.verify(body: Self.body, headers: ["x-hub-signature-256": signature], secret: Self.secret))
        #expect(!Webhook.github.verify(body: Self.body, headers: ["x-hub-signature-256": "sha1=" + signature], secret: Self.secret))
        #expect(!Webhook.github.verify(body: Self.body, headers: ["x-hub-signature-256": "sha256=" + signature.dropLast()], secret: Self.secret))
        #expect(Webhook.github.verify(body: Self.body, headers: ["x-hub-signature-256": "sha256=" + signature.uppercased()], secret: Self.secret))
        #expect(Webhook.gitea.verify(body: Self.body, headers: ["x-forgejo-signature": signature], secret: Self.secret))
    }

    @Test("the repository URLs of each forge's push payload are found")
    func payloadURLs() throws {
        let github = try JSONValue.parse(Array(#"{"repository":{"clone_url":"https://github.com/shop/app.git","ssh_url":"git@github.com:shop/app.git","html_url":"https://github.com/shop/app"}}"#.utf8))
        #expect(Webhook.github.repositoryURLs(in: github) == ["https://github.com/shop/app.git", "git@github.com:shop/app.git", "https://github.com/shop/app"])
        let gitlab = try JSONValue.parse(Array(#"{"project":{"git_http_url":"https://gitlab.com/shop/app.git","git_ssh_url":"git@gitlab.com:shop/app.git","web_url":"https://gitlab.com/shop/app"}}"#.utf8))
        #expect(Webhook.gitlab.repositoryURLs(in: gitlab).contains("git@gitlab.com:shop/app.git"))
        let bitbucket = try JSONValue.parse(Array(#"{"repository":{"full_name":"shop/app","links":{"html":{"href":"https://bitbucket.org/shop/app"}}}}"#.utf8))
        #expect(Webhook.bitbucket.repositoryURLs(in: bitbucket).contains("https://bitbucket.org/shop/app"))
        let generic = try JSONValue.parse(Array(#"{"repository":"https://git.example.com/shop/app","urls":["ssh://git@git.example.com/shop/app.git"]}"#.utf8))
        #expect(Webhook.generic.repositoryURLs(in: generic) == ["https://git.example.com/shop/app", "ssh://git@git.example.com/shop/app.git"])
    }

    @Test("URLs of one repository in its different forms have one key, other repositories another")
    func repositoryKeys() throws {
        let forms = [
            "https://github.com/shop/app.git", "https://GitHub.com/Shop/App", "git@github.com:shop/app.git",
            "ssh://git@github.com:22/shop/app", "http://user:token@github.com/shop/app/",
        ]
        let keys = Set(try forms.map { Webhook.repositoryKey(try RepositoryURL($0)) })
        #expect(keys.count == 1, "\(keys)")
        #expect(Webhook.repositoryKey(try RepositoryURL("https://github.com/shop/api")) != keys.first)
        #expect(Webhook.repositoryKey(try RepositoryURL("https://gitlab.com/shop/app")) != keys.first)
        #expect(Webhook.repositoryKey(try RepositoryURL("file:///srv/repo.git")) == Webhook.repositoryKey(try RepositoryURL("/srv/repo")))
    }
}
