import Foundation
import Testing
import TestSupport
@testable import GitSource

/// A work repository pushed to a bare one, and a state directory for mirrors.
struct MirrorFixture {
    let directory: TemporaryDirectory
    let work: GitRepository
    let bare: BareRepository
    var state: String { directory.appending("state").path }

    init() throws {
        directory = try TemporaryDirectory(label: "mirror")
        work = try GitRepository(at: directory.appending("work"))
        bare = try BareRepository(at: directory.appending("remote.git"))
    }

    func publish() throws { try work.mirror(to: bare) }

    func mirror(_ url: String? = nil, options: GitSourceOptions = GitSourceOptions()) throws -> GitMirror {
        GitMirror(url: try RepositoryURL(url ?? bare.fileURL), stateDirectory: state, options: options)
    }
}

@Suite("Mirroring a repository and resolving ref specs")
struct GitMirrorTests {
    @Test("follows a branch head, fetching only when the commit changed")
    func followsBranch() async throws {
        let f = try MirrorFixture()
        defer { f.directory.remove() }
        _ = try f.work.write("a: 1\n", to: "app/a.yaml")
        let first = try f.work.commit("first")
        try f.publish()
        let mirror = try f.mirror()
        let resolved = try await mirror.update(.branch("main"))
        #expect(resolved == ResolvedRevision(ref: "refs/heads/main", revision: first))

        _ = try f.work.write("a: 2\n", to: "app/a.yaml")
        let second = try f.work.commit("second")
        try f.publish()
        #expect(try await mirror.resolveRemote(.branch("main")).revision == second)
        #expect(try await mirror.update(.branch("main")).revision == second)
        #expect(try await mirror.firstParentCommits(from: first, to: second) == [second])
        let bare = try BareRepository(existingAt: URL(fileURLWithPath: mirror.path))
        #expect(try bare.revParse("refs/heads/main") == second)
    }

    @Test("resolves the remote's default branch when no ref is given")
    func defaultBranch() async throws {
        let f = try MirrorFixture()
        defer { f.directory.remove() }
        let head = try f.work.commit("only", allowEmpty: true)
        try f.work.createBranch("trunk")
        try f.publish()
        try f.bare.setDefaultBranch("trunk")
        let resolved = try await f.mirror().update(.defaultBranch)
        #expect(resolved.ref == "refs/heads/trunk")
        #expect(resolved.revision == head)
    }

    @Test("peels annotated tags to their commit and follows a moved tag")
    func tags() async throws {
        let f = try MirrorFixture()
        defer { f.directory.remove() }
        let first = try f.work.commit("one", allowEmpty: true)
        try f.work.tag("v1.0.0", message: "release one")
        let second = try f.work.commit("two", allowEmpty: true)
        try f.publish()
        let mirror = try f.mirror()
        #expect(try await mirror.update(.tag("v1.0.0")).revision == first)
        try f.work.tag("v1.0.0", at: second, message: "moved", force: true)
        try f.publish()
        #expect(try await mirror.update(.tag("v1.0.0")).revision == second)
    }

    @Test("picks the highest semver tag, by semver order")
    func semver() async throws {
        let f = try MirrorFixture()
        defer { f.directory.remove() }
        var commits: [String: String] = [:]
        for tag in ["v1.2.0", "v1.10.0", "v1.9.0", "v2.0.0", "v1.11.0-rc.1"] {
            commits[tag] = try f.work.commit(tag, allowEmpty: true)
            try f.work.tag(tag, message: tag)
        }
        try f.publish()
        let resolved = try await f.mirror().update(.semver(try SemanticVersionRange(">=1.2.0 <2.0.0")))
        #expect(resolved.ref == "refs/tags/v1.10.0")
        #expect(resolved.revision == commits["v1.10.0"])
    }

    @Test("resolves an exact commit, full or abbreviated, and refuses one that does not exist")
    func exactCommit() async throws {
        let f = try MirrorFixture()
        defer { f.directory.remove() }
        let first = try f.work.commit("one", allowEmpty: true)
        try f.work.commit("two", allowEmpty: true)
        try f.publish()
        let mirror = try f.mirror()
        #expect(try await mirror.update(.commit(first)).revision == first)
        #expect(try await mirror.update(.commit(String(first.prefix(10)))).revision == first)
        await #expect {
            try await mirror.update(.commit(String(repeating: "0", count: 40)))
        } throws: { ($0 as? GitSourceError)?.code == .notFound }
    }

    @Test("keeps the applied commit readable after a force-push")
    func forcePush() async throws {
        let f = try MirrorFixture()
        defer { f.directory.remove() }
        let base = try f.work.commit("base", allowEmpty: true)
        _ = try f.work.write("x\n", to: "x.yaml")
        let applied = try f.work.commit("to be rewritten")
        try f.publish()
        let mirror = try f.mirror()
        #expect(try await mirror.update(.branch("main")).revision == applied)
        try await mirror.pin(applied)
        try f.work.resetHard(to: base)
        _ = try f.work.write("y\n", to: "y.yaml")
        let rewritten = try f.work.commit("rewritten")
        try f.publish()
        #expect(try await mirror.update(.branch("main")).revision == rewritten)
        let snapshot = try await mirror.snapshot(at: applied)
        #expect(snapshot.files.map(\.path) == ["x.yaml"])
        await #expect(throws: GitSourceError.self) { try await mirror.firstParentCommits(from: applied, to: rewritten) }
    }

    @Test("says clearly when a branch was deleted, and when the repository is empty")
    func missingThings() async throws {
        let f = try MirrorFixture()
        defer { f.directory.remove() }
        let mirror = try f.mirror()
        await #expect {
            try await mirror.update(.defaultBranch)
        } throws: { error in
            let e = error as? GitSourceError
            return e?.code == .notFound && e?.message.contains("empty") == true
        }
        try f.work.commit("one", allowEmpty: true)
        try f.work.createBranch("feature")
        try f.publish()
        #expect(try await mirror.update(.branch("feature")).ref == "refs/heads/feature")
        try f.work.deleteBranch("feature")
        try f.publish()
        await #expect {
            try await mirror.update(.branch("feature"))
        } throws: { error in
            let e = error as? GitSourceError
            return e?.code == .notFound && e?.message.contains("branch 'feature' not found") == true
        }
    }

    @Test("a repository that does not exist is notFound, and never hangs")
    func repositoryNotFound() async throws {
        let f = try MirrorFixture()
        defer { f.directory.remove() }
        let mirror = try f.mirror(f.directory.appending("nope.git").path)
        await #expect {
            try await mirror.update(.branch("main"))
        } throws: { ($0 as? GitSourceError)?.code == .notFound }
    }
}
