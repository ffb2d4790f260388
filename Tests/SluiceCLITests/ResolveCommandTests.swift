import Foundation
import Testing
import TestSupport

@Suite("sluice resolve and version, as a user runs them")
struct ResolveCommandTests {
    struct Published {
        let directory: TemporaryDirectory
        let work: GitRepository
        let daemon: GitDaemonServer
        let head: String
        var state: String { directory.appending("state").path }
        var url: String { daemon.url(for: "app") }
    }

    static func publish() async throws -> Published {
        let directory = try TemporaryDirectory(label: "cli")
        let work = try GitRepository(at: directory.appending("work"))
        _ = try work.write("a: 1\n", to: "deploy/a.yaml")
        let head = try work.commit("Deploy the app\n\nLonger body.")
        try work.tag("v1.4.2", message: "release")
        try work.tag("v1.10.0", message: "release")
        let daemon = try await GitDaemonServer.start()
        try work.mirror(to: try daemon.createRepository(named: "app"))
        return Published(directory: directory, work: work, daemon: daemon, head: head)
    }

    @Test("prints the resolved commit as the JSON contract says")
    func json() async throws {
        let p = try await Self.publish()
        defer { p.daemon.stop(); p.directory.remove() }
        let result = try await CLI.run(["resolve", "--repo", p.url, "--semver", ">=1.2.0 <2.0.0", "--output", "json", "--state-dir", p.state])
        #expect(result.exitCode == 0, "\(result.errorOutput)")
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: String])
        #expect(object["repo"] == p.url)
        #expect(object["ref"] == "refs/tags/v1.10.0")
        #expect(object["revision"] == p.head)
        #expect(object["author"] == GitSignature.test.formatted)
        #expect(object["message"]?.hasPrefix("Deploy the app") == true)
        #expect(object["spec"]?.contains(">=1.2.0 <2.0.0") == true)
        let committedAt = try #require(object["committedAt"])
        #expect(ISO8601DateFormatter().date(from: committedAt) != nil)
    }

    @Test("prints text by default, following the default branch")
    func text() async throws {
        let p = try await Self.publish()
        defer { p.daemon.stop(); p.directory.remove() }
        let result = try await CLI.run(["resolve", "--repo", p.url, "--state-dir", p.state])
        #expect(result.exitCode == 0)
        #expect(result.output.contains("refs/heads/main"))
        #expect(result.output.contains(p.head))
    }

    @Test("exits 3 with a clear message when the source cannot be resolved")
    func sourceErrors() async throws {
        let p = try await Self.publish()
        defer { p.daemon.stop(); p.directory.remove() }
        let missingTag = try await CLI.run(["resolve", "--repo", p.url, "--tag", "v9.9.9", "--state-dir", p.state])
        #expect(missingTag.exitCode == 3)
        #expect(missingTag.errorOutput.contains("tag 'v9.9.9' not found"))
        let missingRepo = try await CLI.run(["resolve", "--repo", p.daemon.url(for: "nope"), "--state-dir", p.state])
        #expect(missingRepo.exitCode == 3)
        let unreachable = try await CLI.run(["resolve", "--repo", "http://127.0.0.1:\(try Loopback.freePort())/x.git", "--state-dir", p.state])
        #expect(unreachable.exitCode == 3)
    }

    @Test("exits 2 on usage errors", arguments: [
        ["resolve"],
        ["resolve", "--repo", "/tmp/x", "--branch", "main", "--tag", "v1"],
        ["resolve", "--repo", "ftp://host/x"],
        ["resolve", "--repo", "/tmp/x", "--semver", ">=banana"],
        ["resolve", "--repo", "/tmp/x", "--password-file", "/nonexistent/secret"],
        ["resolve", "--repo", "/tmp/x", "--git-timeout", "soon"],
        ["no-such-command"],
    ])
    func usageErrors(_ arguments: [String]) async throws {
        let result = try await CLI.run(arguments)
        #expect(result.exitCode == 2, "\(arguments): \(result.errorOutput)")
        #expect(!result.errorOutput.isEmpty)
    }

    @Test("never prints a password, from the URL or from a file")
    func secretsStayOut() async throws {
        let server = try await GitHTTPServer.start(options: .init(basicAuth: .init(username: "deploy", password: "right-horse")))
        defer { server.stop() }
        let directory = try TemporaryDirectory(label: "cli-secret")
        defer { directory.remove() }
        let work = try GitRepository(at: directory.appending("work"))
        try work.commit("one", allowEmpty: true)
        try work.mirror(to: try server.createRepository(named: "app"))
        let secretFile = directory.appending("password")
        try Data("wrong-battery-staple\n".utf8).write(to: secretFile)
        let wrong = try await CLI.run(["resolve", "--repo", server.url(for: "app"), "--username", "deploy",
                                       "--password-file", secretFile.path, "--state-dir", directory.appending("s").path])
        #expect(wrong.exitCode == 3)
        #expect(wrong.errorOutput.contains("refused the credentials"))
        #expect(!(wrong.output + wrong.errorOutput).contains("wrong-battery-staple"))
        let inURL = try await CLI.run(["resolve", "--repo", server.url(for: "app", username: "deploy", password: "url-secret-9"),
                                       "--output", "json", "--state-dir", directory.appending("s").path])
        #expect(!(inURL.output + inURL.errorOutput).contains("url-secret-9"))
        try Data("right-horse".utf8).write(to: secretFile)
        let good = try await CLI.run(["resolve", "--repo", server.url(for: "app"), "--username", "deploy",
                                      "--password-file", secretFile.path, "--output", "json", "--state-dir", directory.appending("s").path])
        #expect(good.exitCode == 0, "\(good.errorOutput)")
        #expect(!good.output.contains("right-horse"))
    }

    @Test("honours HTTPS_PROXY, and NO_PROXY bypasses it")
    func proxy() async throws {
        let server = try await GitHTTPServer.start(options: .init(tls: true))
        defer { server.stop() }
        let proxy = try await CountingProxy.start(mode: .httpProxy)
        defer { proxy.stop() }
        let directory = try TemporaryDirectory(label: "cli-proxy")
        defer { directory.remove() }
        let work = try GitRepository(at: directory.appending("work"))
        let head = try work.commit("one", allowEmpty: true)
        try work.mirror(to: try server.createRepository(named: "app"))
        let ca = try #require(server.caCertificatePath).path
        let arguments = ["resolve", "--repo", server.url(for: "app"), "--ca-file", ca, "--output", "json", "--state-dir", directory.appending("s").path]
        let viaProxy = try await CLI.run(arguments, environment: ["HTTPS_PROXY": proxy.proxyURL, "NO_PROXY": ""])
        #expect(viaProxy.exitCode == 0, "\(viaProxy.errorOutput)")
        #expect(viaProxy.output.contains(head))
        #expect(try proxy.statistics().connectTargets.contains("127.0.0.1:\(server.port)"))
        let before = try proxy.statistics().connectionCount
        let bypass = try await CLI.run(arguments, environment: ["HTTPS_PROXY": proxy.proxyURL, "NO_PROXY": "127.0.0.1"])
        #expect(bypass.exitCode == 0, "\(bypass.errorOutput)")
        #expect(try proxy.statistics().connectionCount == before)
    }

    @Test("version names libgit2 and libcurl")
    func version() async throws {
        let result = try await CLI.run(["version", "--output", "json"])
        #expect(result.exitCode == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: String])
        #expect(object["libgit2"]?.hasPrefix("1.") == true)
        #expect(object["libcurl"]?.contains("libcurl/") == true)
        #expect(object["version"]?.isEmpty == false)
    }
}
