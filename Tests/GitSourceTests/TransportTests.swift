import Foundation
import Testing
import TestSupport
@testable import GitSource

@Suite("Git transports against real servers on loopback")
struct GitDaemonTransportTests {
    @Test("clones and fetches incrementally over git://")
    func gitDaemon() async throws {
        let daemon = try await GitDaemonServer.start()
        defer { daemon.stop() }
        let f = try MirrorFixture()
        defer { f.directory.remove() }
        let bare = try daemon.createRepository(named: "app")
        _ = try f.work.write("a: 1\n", to: "app/a.yaml")
        let first = try f.work.commit("first")
        try f.work.tag("v1.0.0", message: "one")
        try f.work.mirror(to: bare)
        let mirror = GitMirror(url: try RepositoryURL(daemon.url(for: "app")), stateDirectory: f.state)
        #expect(try await mirror.update(.semver(try SemanticVersionRange("^1"))) == ResolvedRevision(ref: "refs/tags/v1.0.0", revision: first))
        #expect(try await mirror.update(.defaultBranch) == ResolvedRevision(ref: "refs/heads/main", revision: first))
        _ = try f.work.write("a: 2\n", to: "app/a.yaml")
        let second = try f.work.commit("second")
        try f.work.mirror(to: bare)
        #expect(try await mirror.resolveRemote(.branch("main")).revision == second)
        #expect(try await mirror.update(.branch("main")).revision == second)
        #expect(try await mirror.changes(from: first, to: second, under: "app") == [PathChange(status: .modified, path: "app/a.yaml")])
    }

    @Test("a missing repository over git:// is notFound")
    func gitDaemonNotFound() async throws {
        let daemon = try await GitDaemonServer.start()
        defer { daemon.stop() }
        let state = try TemporaryDirectory(label: "state")
        defer { state.remove() }
        let mirror = GitMirror(url: try RepositoryURL(daemon.url(for: "missing")), stateDirectory: state.path)
        await #expect {
            try await mirror.update(.defaultBranch)
        } throws: { ($0 as? GitSourceError)?.code == .notFound }
    }

    @Test("a refused connection is a network error, not a hang")
    func refused() async throws {
        let refusing = try Loopback.refusingPort()
        let port = refusing.port
        defer { withExtendedLifetime(refusing) {} }
        let state = try TemporaryDirectory(label: "state")
        defer { state.remove() }
        for url in ["git://127.0.0.1:\(port)/x.git", "http://127.0.0.1:\(port)/x.git"] {
            let mirror = GitMirror(url: try RepositoryURL(url), stateDirectory: state.path)
            await #expect {
                try await mirror.update(.defaultBranch)
            } throws: { ($0 as? GitSourceError)?.code == .network }
        }
    }
}
