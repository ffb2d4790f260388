import Testing
@testable import GitSource

@Suite("Repository URLs")
struct RepositoryURLTests {
    @Test("recognises every transport", arguments: [
        ("https://github.com/org/repo.git", RepositoryURL.Transport.https),
        ("http://127.0.0.1:8080/repo.git", .http),
        ("ssh://git@example.com:2222/org/repo.git", .ssh),
        ("git@github.com:org/repo.git", .ssh),
        ("git://127.0.0.1:9418/repo.git", .git),
        ("file:///srv/git/repo.git", .local),
        ("/srv/git/repo", .local),
        ("./relative/repo", .local),
    ])
    func transports(_ input: String, _ transport: RepositoryURL.Transport) throws {
        #expect(try RepositoryURL(input).transport == transport)
    }

    @Test("never keeps a password in the URL it prints or hands to libgit2")
    func stripsPasswords() throws {
        let url = try RepositoryURL("https://alice:s3cret-token@git.example.com/org/repo.git")
        #expect(!url.description.contains("s3cret-token"))
        #expect(!url.gitURL.contains("s3cret-token"))
        #expect(!url.gitURL.contains("alice"))
        #expect(RepositoryURL.redact("fatal: https://bob:hunter2@h/x failed") == "fatal: https://bob:***@h/x failed")
        #expect(RepositoryURL.redact("see https://tok@h/x") == "see https://***@h/x")
        // An SSH user is not a secret, and saying which user was refused helps.
        #expect(RepositoryURL.redact("ssh://deploy@h:22/x") == "ssh://deploy@h:22/x")
    }

    @Test("normalises scheme, user, .git suffix and host case for matching")
    func normalises() throws {
        let a = try RepositoryURL("https://GitHub.com/Org/Repo.git/")
        let b = try RepositoryURL("https://user@github.com/Org/Repo")
        #expect(a.normalized == b.normalized)
    }

    @Test("rejects unknown schemes and empty input", arguments: ["", "ftp://h/x", "https://"])
    func rejects(_ input: String) {
        #expect(throws: GitSourceError.self) { try RepositoryURL(input) }
    }

    @Test("keeps the ssh user and port apart from the path")
    func sshParts() throws {
        let url = try RepositoryURL("ssh://deploy@10.0.0.1:2222/srv/repo.git")
        #expect(url.user == "deploy")
        #expect(url.port == 2222)
        #expect(url.path == "/srv/repo.git")
        let scp = try RepositoryURL("git@github.com:org/repo.git")
        #expect(scp.user == "git")
        #expect(scp.host == "github.com")
        #expect(scp.path == "org/repo.git")
    }
}
