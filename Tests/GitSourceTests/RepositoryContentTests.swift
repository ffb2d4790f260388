import Foundation
import Testing
import TestSupport
@testable import GitSource

@Suite("Reading commits for the sync engine")
struct RepositoryContentTests {
    @Test("lists added, modified, deleted and renamed paths under a prefix only")
    func changedPaths() async throws {
        let f = try MirrorFixture()
        defer { f.directory.remove() }
        _ = try f.work.write("kind: A\n", to: "app/a.yaml")
        _ = try f.work.write(String(repeating: "kind: B with a long enough body to be detected as a rename\n", count: 20), to: "app/b.yaml")
        _ = try f.work.write("kind: C\n", to: "app/c.yaml")
        _ = try f.work.write("other\n", to: "docs/readme.md")
        let old = try f.work.commit("old")
        _ = try f.work.write("kind: A2\n", to: "app/a.yaml")
        try f.work.git("mv", "app/b.yaml", "app/renamed.yaml")
        try f.work.remove("app/c.yaml")
        _ = try f.work.write("kind: D\n", to: "app/sub/d.yaml")
        _ = try f.work.write("changed\n", to: "docs/readme.md")
        let new = try f.work.commit("new")
        try f.publish()
        let mirror = try f.mirror()
        _ = try await mirror.update(.branch("main"))
        let changes = try await mirror.changes(from: old, to: new, under: "./app/")
        #expect(Set(changes) == [
            PathChange(status: .modified, path: "app/a.yaml"),
            PathChange(status: .renamed, path: "app/renamed.yaml", oldPath: "app/b.yaml"),
            PathChange(status: .deleted, path: "app/c.yaml"),
            PathChange(status: .added, path: "app/sub/d.yaml"),
        ])
        #expect(try await mirror.changes(from: new, to: new, under: "app").isEmpty)
        #expect(try await mirror.changes(from: nil, to: old, under: "docs") == [PathChange(status: .added, path: "docs/readme.md")])
    }

    @Test("compares nested trees: changes deep down, a file that becomes a directory, a mode or link change, a missing prefix")
    func nestedChanges() async throws {
        let f = try MirrorFixture()
        defer { f.directory.remove() }
        for directory in 0..<5 {
            for file in 0..<5 { _ = try f.work.write("kind: D\(directory)F\(file)\n", to: "app/d\(directory)/deep/f\(file).yaml") }
        }
        _ = try f.work.write("kind: Script\n", to: "app/run.sh")
        _ = try f.work.write("kind: Target\n", to: "app/target.yaml")
        _ = try f.work.write("kind: Link\n", to: "app/link.yaml")
        _ = try f.work.write("kind: Was a file\n", to: "app/becomes")
        _ = try f.work.write("other\n", to: "docs/readme.md")
        let old = try f.work.commit("old")
        _ = try f.work.write("kind: Changed\n", to: "app/d3/deep/f2.yaml")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: f.work.url.appendingPathComponent("app/run.sh").path)
        try f.work.remove("app/link.yaml")
        try f.work.writeSymlink(at: "app/link.yaml", pointingTo: "target.yaml")
        try f.work.remove("app/becomes")
        _ = try f.work.write("kind: Now a directory\n", to: "app/becomes/inside.yaml")
        let new = try f.work.commit("new")
        _ = try f.work.write("kind: Only deep\n", to: "app/d0/deep/f0.yaml")
        let deepOnly = try f.work.commit("one deep change")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: f.work.url.appendingPathComponent("app/run.sh").path)
        let modeOnly = try f.work.commit("not executable")
        try f.publish()
        let mirror = try f.mirror()
        _ = try await mirror.update(.branch("main"))

        #expect(try await mirror.changes(from: new, to: deepOnly, under: "app") == [PathChange(status: .modified, path: "app/d0/deep/f0.yaml")])
        #expect(try await mirror.changes(from: new, to: deepOnly, under: "app/d3").isEmpty)
        #expect(try await mirror.changes(from: deepOnly, to: modeOnly, under: "app") == [PathChange(status: .modified, path: "app/run.sh")])
        #expect(try await mirror.changes(from: new, to: deepOnly, under: "").map(\.path) == ["app/d0/deep/f0.yaml"])
        // A file that became a directory or a symlink is a deletion and an addition (as in libgit2's diff).
        #expect(Set(try await mirror.changes(from: old, to: new, under: "app")) == [
            PathChange(status: .modified, path: "app/d3/deep/f2.yaml"),
            PathChange(status: .modified, path: "app/run.sh"),
            PathChange(status: .deleted, path: "app/link.yaml"),
            PathChange(status: .added, path: "app/link.yaml"),
            PathChange(status: .deleted, path: "app/becomes"),
            PathChange(status: .added, path: "app/becomes/inside.yaml"),
        ])
        // Without additions and deletions libgit2's diff is not asked; modifications come out sorted.
        #expect(try await mirror.changes(from: old, to: new, under: "app/d3") == [PathChange(status: .modified, path: "app/d3/deep/f2.yaml")])
        #expect(try await mirror.changes(from: new, to: old, under: "app/d3") == [PathChange(status: .modified, path: "app/d3/deep/f2.yaml")])
        // A prefix that is not a directory at one side: everything under it was added or deleted.
        #expect(try await mirror.changes(from: old, to: new, under: "app/becomes") == [PathChange(status: .added, path: "app/becomes/inside.yaml")])
        #expect(try await mirror.changes(from: new, to: old, under: "app/becomes") == [PathChange(status: .deleted, path: "app/becomes/inside.yaml")])
        #expect(try await mirror.changes(from: old, to: new, under: "missing").isEmpty)
        #expect(try await mirror.changes(from: nil, to: old, under: "app/d1").count == 5)
    }

    @Test("reads every file under a path, sorted, with commit metadata")
    func snapshotAndMetadata() async throws {
        let f = try MirrorFixture()
        defer { f.directory.remove() }
        _ = try f.work.write("b\n", to: "app/b.yaml")
        _ = try f.work.write("a\n", to: "app/nested/a.yaml")
        _ = try f.work.write("z\n", to: "elsewhere.yaml")
        let head = try f.work.commit("Add the app\n\nWith a body.")
        try f.publish()
        let mirror = try f.mirror()
        _ = try await mirror.update(.branch("main"))
        let snapshot = try await mirror.snapshot(at: head, under: "app")
        #expect(snapshot.files.map(\.path) == ["app/b.yaml", "app/nested/a.yaml"])
        #expect(snapshot.files.first?.contents == Data("b\n".utf8))
        let info = try await mirror.commit(head)
        #expect(info.id == head)
        #expect(info.author.name == GitSignature.test.name)
        #expect(info.summary == "Add the app")
        #expect(info.parents.isEmpty)
        #expect(info.isSigned == false)
    }

    @Test("follows symlinks inside the repository and refuses those that leave it")
    func symlinks() async throws {
        let f = try MirrorFixture()
        defer { f.directory.remove() }
        _ = try f.work.write("shared: true\n", to: "base/shared.yaml")
        try f.work.writeSymlink(at: "app/shared.yaml", pointingTo: "../base/shared.yaml")
        let inside = try f.work.commit("inside")
        try f.work.writeSymlink(at: "app/passwd.yaml", pointingTo: "../../../etc/passwd")
        let outside = try f.work.commit("outside")
        try f.publish()
        let mirror = try f.mirror()
        _ = try await mirror.update(.branch("main"))
        let snapshot = try await mirror.snapshot(at: inside, under: "app")
        #expect(snapshot.files == [RepositoryFile(path: "app/shared.yaml", contents: Data("shared: true\n".utf8))])
        await #expect {
            try await mirror.snapshot(at: outside, under: "app")
        } throws: { error in
            let e = error as? GitSourceError
            return e?.code == .refused && e?.message.contains("app/passwd.yaml") == true
        }
    }

    @Test("refuses a file over the size limit, naming it")
    func sizeLimit() async throws {
        let f = try MirrorFixture()
        defer { f.directory.remove() }
        _ = try f.work.writeLargeFile(at: "app/huge.yaml", size: 2 << 20)
        let head = try f.work.commit("huge")
        try f.publish()
        var options = GitSourceOptions()
        options.maxFileSize = 1 << 20
        let mirror = try f.mirror(options: options)
        _ = try await mirror.update(.branch("main"))
        await #expect {
            try await mirror.snapshot(at: head, under: "app")
        } throws: { error in
            let e = error as? GitSourceError
            return e?.code == .refused && e?.message.contains("app/huge.yaml") == true
        }
    }

    @Test("lists a submodule without its contents")
    func submodule() async throws {
        let f = try MirrorFixture()
        defer { f.directory.remove() }
        let library = try GitRepository(at: f.directory.appending("library"))
        _ = try library.write("lib\n", to: "lib.yaml")
        try library.commit("lib")
        _ = try f.work.write("app\n", to: "app/app.yaml")
        try f.work.addSubmodule(url: library.path, at: "app/vendor")
        let head = try f.work.commit("with submodule")
        try f.publish()
        let mirror = try f.mirror()
        _ = try await mirror.update(.branch("main"))
        let snapshot = try await mirror.snapshot(at: head, under: "app")
        #expect(snapshot.files.map(\.path) == ["app/app.yaml"])
        #expect(snapshot.submodules == ["app/vendor"])
    }
}
