import Foundation
import Testing
import TestSupport
@testable import GitSource

/// A repository with a branch and a tag, published on a smart-HTTP server.
struct HTTPFixture {
    let server: GitHTTPServer
    let mirrorFixture: MirrorFixture
    let bare: BareRepository
    let head: String

    init(options: GitHTTPServer.Options = GitHTTPServer.Options()) async throws {
        server = try await GitHTTPServer.start(options: options)
        mirrorFixture = try MirrorFixture()
        bare = try server.createRepository(named: "app")
        _ = try mirrorFixture.work.write("a: 1\n", to: "app/a.yaml")
        head = try mirrorFixture.work.commit("first")
        try mirrorFixture.work.tag("v1.0.0", message: "one")
        for i in 0..<50 { try mirrorFixture.work.createBranch("feature-\(i)") }
        try mirrorFixture.work.mirror(to: bare)
        server.resetStatistics()
    }

    func url(_ userInfo: String = "") -> String {
        server.baseURL.replacingOccurrences(of: "://", with: "://\(userInfo)") + "/app.git"
    }

    func mirror(_ credentials: GitCredentials = GitCredentials(), timeout: Duration = .seconds(60)) throws -> GitMirror {
        var options = GitSourceOptions()
        options.operationTimeout = timeout
        return GitMirror(url: try RepositoryURL(url()), credentials: credentials, stateDirectory: mirrorFixture.state, options: options)
    }

    func stop() {
        server.stop()
        mirrorFixture.directory.remove()
    }
}

@Suite("Smart HTTP over libcurl")
struct HTTPTransportTests {
    @Test("answers 'anything new?' with one small protocol v2 request, then fetches through libcurl")
    func cheapCheck() async throws {
        let f = try await HTTPFixture()
        defer { f.stop() }
        let mirror = try f.mirror()
        #expect(try await mirror.resolveRemote(.branch("main")).revision == f.head)
        let checks = try f.server.requests()
        #expect(checks.count == 1)
        let check = try #require(checks.first)
        #expect(check.method == "POST")
        #expect(check.gitProtocol == "version=2")
        #expect(check.responseBytes < 1024, "the check answered \(check.responseBytes) bytes")
        #expect(check.requestBytes < 1024)

        f.server.resetStatistics()
        #expect(try await mirror.update(.tag("v1.0.0")).revision == f.head)
        let fetch = try f.server.requests()
        #expect(fetch.contains { $0.path.hasSuffix("/info/refs") && $0.method == "GET" })
        #expect(fetch.contains { $0.path.hasSuffix("/git-upload-pack") && $0.gitProtocol == nil })
        // The advertisement and the pack request share one connection.
        let fetchConnections = Set(fetch.filter { $0.gitProtocol == nil }.map(\.connection))
        #expect(fetchConnections.count == 1)
    }

    @Test("falls back to the v0 advertisement when the server lacks protocol v2")
    func v0Fallback() async throws {
        let f = try await HTTPFixture(options: GitHTTPServer.Options(protocolV2: false))
        defer { f.stop() }
        let mirror = try f.mirror()
        let listing = try await mirror.listRemote(for: .tag("v1.0.0"))
        #expect(listing.method == "protocol v0 advertisement")
        #expect(listing.refs.map(\.name) == ["refs/tags/v1.0.0"])
        #expect(try await mirror.update(.defaultBranch) == ResolvedRevision(ref: "refs/heads/main", revision: f.head))
        // Remembered: the next check goes straight to v0.
        f.server.resetStatistics()
        _ = try await mirror.resolveRemote(.branch("main"))
        #expect(try f.server.requests().map(\.method) == ["GET"])
    }

    @Test("authenticates with basic auth, and a wrong password fails clearly without leaking it")
    func basicAuth() async throws {
        let f = try await HTTPFixture(options: GitHTTPServer.Options(basicAuth: .init(username: "deploy", password: "right-horse")))
        defer { f.stop() }
        let good = try f.mirror(GitCredentials(username: "deploy", password: Secret("right-horse")))
        #expect(try await good.update(.branch("main")).revision == f.head)

        let badMirror = GitMirror(url: try RepositoryURL(f.url()), credentials: GitCredentials(username: "deploy", password: Secret("wrong-battery")),
                                  stateDirectory: f.mirrorFixture.directory.appending("other").path)
        await #expect {
            try await badMirror.update(.branch("main"))
        } throws: { error in
            let e = error as? GitSourceError
            return e?.code == .authentication && e?.message.contains("refused the credentials") == true
                && !"\(error)".contains("wrong-battery")
        }
        let anonymous = GitMirror(url: try RepositoryURL(f.url()), stateDirectory: f.mirrorFixture.directory.appending("anon").path)
        await #expect {
            try await anonymous.update(.branch("main"))
        } throws: { ($0 as? GitSourceError)?.code == .authentication }
    }

    @Test("authenticates with a bearer token")
    func bearer() async throws {
        let f = try await HTTPFixture(options: GitHTTPServer.Options(bearerToken: "tok-123"))
        defer { f.stop() }
        let mirror = try f.mirror(GitCredentials(bearerToken: Secret("tok-123")))
        #expect(try await mirror.update(.branch("main")).revision == f.head)
    }

    @Test("verifies TLS: trusts the given CA, refuses an untrusted certificate, skips only when asked")
    func tls() async throws {
        let f = try await HTTPFixture(options: GitHTTPServer.Options(tls: true))
        defer { f.stop() }
        let ca = try #require(f.server.caCertificatePath).path
        let trusted = try f.mirror(GitCredentials(caBundle: ca))
        #expect(try await trusted.update(.branch("main")).revision == f.head)

        let untrusted = GitMirror(url: try RepositoryURL(f.url()), stateDirectory: f.mirrorFixture.directory.appending("u").path)
        await #expect {
            try await untrusted.update(.branch("main"))
        } throws: { error in
            let e = error as? GitSourceError
            return e?.code == .untrusted && e?.message.contains("not trusted") == true
        }
        let insecure = GitMirror(url: try RepositoryURL(f.url()), credentials: GitCredentials(insecureSkipTLSVerify: true),
                                 stateDirectory: f.mirrorFixture.directory.appending("i").path)
        #expect(try await insecure.update(.branch("main")).revision == f.head)
    }

    @Test("a missing repository over HTTP is notFound")
    func notFound() async throws {
        let f = try await HTTPFixture()
        defer { f.stop() }
        let mirror = GitMirror(url: try RepositoryURL(f.server.baseURL + "/missing.git"), stateDirectory: f.mirrorFixture.state)
        await #expect {
            try await mirror.update(.branch("main"))
        } throws: { ($0 as? GitSourceError)?.code == .notFound }
    }

    @Test("checks one repository once per interval, however many applications use it, asking only for their refs")
    func sharedCheck() async throws {
        let f = try await HTTPFixture()
        defer { f.stop() }
        let store = GitSourceStore(stateDirectory: f.mirrorFixture.state)
        let url = try RepositoryURL(f.url())
        let specs: [RefSpec] = [.branch("main"), .tag("v1.0.0"), .defaultBranch, .branch("deleted")]
        // An interval far longer than the test: a listing's age counts from its start, and on a busy
        // machine this test has taken over a minute.
        let interval = Duration.seconds(3600)
        let results = try await store.check(url, specs: specs, maxAge: interval)
        #expect(try results[.branch("main")]?.get().revision == f.head)
        #expect(try results[.tag("v1.0.0")]?.get().revision == f.head)
        #expect(try results[.defaultBranch]?.get().ref == "refs/heads/main")
        #expect(throws: GitSourceError.self) { try results[.branch("deleted")]?.get() }
        var requests = try f.server.requests()
        #expect(requests.count == 1)
        // 50 feature branches exist; none of them is in the answer.
        #expect(try #require(requests.first).responseBytes < 1024)
        // Within the interval, the same specs cost nothing.
        _ = try await store.check(url, spec: .branch("main"), maxAge: interval)
        #expect(try f.server.requests().count == 1)
        // A spec the listing did not cover, or an expired interval, asks again.
        #expect(try await store.check(url, spec: .branch("feature-3"), maxAge: interval).revision == f.head)
        _ = try await store.check(url, spec: .branch("main"), maxAge: .zero)
        requests = try f.server.requests()
        #expect(requests.count == 3)
    }

    @Test("after a push webhook, one listing that started after it answers every application, even those whose check came later; a listing that started before it does not")
    func listingAfterAPush() async throws {
        let f = try await HTTPFixture()
        defer { f.stop() }
        let store = GitSourceStore(stateDirectory: f.mirrorFixture.state)
        let url = try RepositoryURL(f.url())
        let before = await store.now()
        #expect(try await store.check(url, spec: .branch("main"), listedSince: before).revision == f.head)
        #expect(try f.server.requests().count == 1)

        // A push, then its webhook.
        _ = try f.mirrorFixture.work.write("a: 2\n", to: "app/a.yaml")
        let pushed = try f.mirrorFixture.work.commit("second")
        try f.mirrorFixture.work.mirror(to: f.bare)
        let webhook = await store.now()
        // The listing from before the push is not enough for it.
        #expect(try await store.check(url, spec: .branch("main"), listedSince: webhook).revision == pushed)
        #expect(try f.server.requests().count == 2)
        // Every later check for the same push, concurrent or not, is answered from that listing.
        let specs: [RefSpec] = Array(repeating: .branch("main"), count: 4)
        let answers = try await withThrowingTaskGroup(of: String.self) { group in
            for spec in specs { group.addTask { try await store.check(url, spec: spec, listedSince: webhook).revision } }
            var all: [String] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        #expect(answers == Array(repeating: pushed, count: specs.count))
        #expect(try f.server.requests().count == 2)
        // A push after that listing needs a listing of its own.
        #expect(try await store.check(url, spec: .branch("main"), listedSince: await store.now()).revision == pushed)
        #expect(try f.server.requests().count == 3)
    }
}
