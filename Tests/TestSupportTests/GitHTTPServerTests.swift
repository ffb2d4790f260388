import Foundation
import Testing
import TestSupport

@Suite("GitHTTPServer")
struct GitHTTPServerTests {
    /// A work repository with one commit pushed to `name` on `server`; returns the commit.
    static func publish(on server: GitHTTPServer, name: String = "app", tags: Int = 0) throws -> String {
        let bare = try server.createRepository(named: name)
        let work = try GitRepository()
        try work.write("hello\n", to: "manifests/cm.yaml")
        let head = try work.commit("hello")
        for number in 0..<tags { try work.tag("v0.\(number).0") }
        try work.push(to: bare)
        return head
    }

    @Test("clone with the right password succeeds; a wrong or missing password gets 401")
    func basicAuth() async throws {
        let credentials = GitHTTPServer.BasicCredentials(username: "alice", password: "s3cret p@ss")
        let server = try await GitHTTPServer.start(options: .init(basicAuth: credentials))
        let head = try Self.publish(on: server)
        let target = try TemporaryDirectory()

        let good = server.url(for: "app", username: "alice", password: "s3cret p@ss")
        try await GitCLI.runAsync(["clone", "--quiet", good, target.appending("ok").path])
        #expect(try GitCLI.run(["rev-parse", "HEAD"], in: target.appending("ok")).trimmedOutput == head)
        #expect(try server.requests().contains { $0.status == 200 && $0.user == "alice" })

        let wrong = server.url(for: "app", username: "alice", password: "nope")
        let failed = try await GitCLI.runAsync(
            ["clone", "--quiet", wrong, target.appending("bad").path], check: false)
        #expect(!failed.succeeded)
        #expect(failed.errorOutput.contains("Authentication failed"))

        let anonymous = try await GitCLI.runAsync(
            ["ls-remote", server.url(for: "app")], check: false)
        #expect(!anonymous.succeeded)
        #expect(try server.requests().filter { $0.status == 401 }.count >= 2)
    }

    @Test("a bearer token is accepted in the Authorization header")
    func bearerToken() async throws {
        let server = try await GitHTTPServer.start(options: .init(bearerToken: "tok-123"))
        let head = try Self.publish(on: server)
        let listing = try await GitCLI.runAsync([
            "-c", "http.extraHeader=Authorization: Bearer tok-123", "ls-remote", server.url(for: "app"),
        ])
        #expect(listing.output.contains("\(head)\tHEAD"))
        let refused = try await GitCLI.runAsync(
            ["-c", "http.extraHeader=Authorization: Bearer wrong", "ls-remote", server.url(for: "app")],
            check: false)
        #expect(!refused.succeeded)
        #expect(try server.requests().first?.authorization == "Bearer")
    }

    @Test("HTTPS clones when the client trusts the test CA and fails when it does not")
    func tlsWithTestCA() async throws {
        let server = try await GitHTTPServer.start(options: .init(tls: true))
        let head = try Self.publish(on: server)
        #expect(server.url(for: "app").hasPrefix("https://127.0.0.1:"))
        let ca = try #require(server.caCertificatePath)
        let target = try TemporaryDirectory()

        try await GitCLI.runAsync(
            ["clone", "--quiet", server.url(for: "app"), target.appending("ok").path],
            environment: ["GIT_SSL_CAINFO": ca.path])
        #expect(try GitCLI.run(["rev-parse", "HEAD"], in: target.appending("ok")).trimmedOutput == head)

        let untrusted = try await GitCLI.runAsync(
            ["clone", "--quiet", server.url(for: "app"), target.appending("bad").path], check: false)
        #expect(!untrusted.succeeded)
        #expect(untrusted.errorOutput.lowercased().contains("certificate"))
    }

    @Test("protocol v2 is spoken only when enabled", arguments: [true, false])
    func protocolVersion(v2Enabled: Bool) async throws {
        let server = try await GitHTTPServer.start(options: .init(protocolV2: v2Enabled))
        let head = try Self.publish(on: server)
        let listing = try await GitCLI.runAsync(
            ["-c", "protocol.version=2", "ls-remote", server.url(for: "app")],
            environment: ["GIT_TRACE_PACKET": "1"])
        #expect(listing.output.contains(head))
        #expect(listing.errorOutput.contains("git< version 2") == v2Enabled)
        let requests = try server.requests()
        #expect(requests.first?.gitProtocol == "version=2")
        #expect(requests.first?.path == "/app.git/info/refs")
        #expect(requests.first?.query == "service=git-upload-pack")
        #expect(requests.allSatisfy { $0.requestBytes > 0 && $0.responseBytes > 0 })
    }

    @Test("large pushes arrive chunked, big fetch requests arrive gzipped, and connections are kept alive")
    func chunkedGzipAndKeepAlive() async throws {
        let server = try await GitHTTPServer.start(options: .init(enableReceivePack: true))
        _ = try server.createRepository(named: "push")
        let work = try GitRepository()
        try work.writeLargeFile(at: "blob.bin", size: 512 * 1024)
        for number in 0..<80 {
            try work.write("\(number)\n", to: "file-\(number).txt")
        }
        let head = try work.commit("big")
        for number in 0..<80 { try work.tag("release-with-a-longish-name-\(number)") }
        // Bodies over http.postBuffer (here 64 KiB, git's minimum) are sent chunked.
        try await GitCLI.runAsync(
            ["-c", "http.postBuffer=65536", "push", "--quiet", server.url(for: "push"),
             "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"],
            in: work.url)
        let pushes = try server.requests().filter { $0.method == "POST" }
        #expect(pushes.contains { $0.chunkedRequest && $0.status == 200 })

        server.resetStatistics()
        let target = try TemporaryDirectory()
        try await GitCLI.runAsync(
            ["-c", "protocol.version=0", "clone", "--quiet", "--mirror", server.url(for: "push"),
             target.appending("mirror.git").path])
        let fetches = try server.requests()
        #expect(fetches.contains { $0.contentEncoding == "gzip" && $0.status == 200 })
        #expect(Set(fetches.map(\.connection)).count < fetches.count)
        let mirrored = try GitCLI.run(["rev-parse", "main"], in: target.appending("mirror.git"))
        #expect(mirrored.trimmedOutput == head)
    }
}
