import Foundation
import Testing
import TestSupport

@Suite("GitRepository, BareRepository and RepositoryGenerator")
struct GitRepositoryTests {
    @Test("commits are deterministic and carry files, nested directories and symlinks")
    func commitsAreDeterministic() throws {
        func build() throws -> (GitRepository, String) {
            let repo = try GitRepository(defaultBranch: "main")
            try repo.write("a\n", to: "a.txt")
            try repo.write("nested\n", to: "deep/er/b.yaml")
            try repo.writeSymlink(at: "link", pointingTo: "a.txt")
            try repo.writeLargeFile(at: "big.bin", size: 1 << 20)
            return (repo, try repo.commit("first"))
        }
        let (first, firstID) = try build()
        let (_, secondID) = try build()
        #expect(firstID == secondID)
        #expect(firstID.count == 40)
        #expect(try first.currentBranch() == "main")
        let tree = try first.git("ls-tree", "-r", "HEAD")
        #expect(tree.contains("120000 blob"))
        #expect(tree.contains("deep/er/b.yaml"))
        #expect(try first.git("cat-file", "-s", "HEAD:big.bin") == "1048576")
    }

    @Test("tags are lightweight or annotated, and can be moved and deleted")
    func tagsMoveAndDelete() throws {
        let repo = try GitRepository()
        try repo.write("1", to: "f")
        let one = try repo.commit("one")
        try repo.write("2", to: "f")
        let two = try repo.commit("two", author: GitSignature(name: "Ann", email: "ann@example.com"))
        try repo.tag("light", at: one)
        try repo.tag("v1.0.0", at: one, message: "release")
        #expect(try repo.git("cat-file", "-t", "v1.0.0") == "tag")
        #expect(try repo.revParse("v1.0.0") == one)
        try repo.moveTag("v1.0.0", to: two, message: "moved")
        #expect(try repo.revParse("v1.0.0") == two)
        try repo.deleteTag("light")
        #expect(try repo.git("tag", "--list") == "v1.0.0")
        #expect(try repo.git("log", "-1", "--format=%an") == "Ann")
    }

    @Test("a bare repository mirrors the work repository, including force-pushes and deleted branches")
    func bareMirrorsWork() throws {
        let repo = try GitRepository()
        try repo.write("1", to: "f")
        let one = try repo.commit("one")
        try repo.createBranch("feature")
        try repo.write("2", to: "f")
        try repo.commit("two")
        let storage = try TemporaryDirectory()
        let bare = try BareRepository.populated(from: repo, at: storage.appending("served.git"))
        #expect(try bare.revParse("main") == repo.headCommit())
        #expect(try bare.refs()["refs/heads/feature"] == one)

        try repo.resetHard(to: one)
        try repo.write("3", to: "f")
        let rewritten = try repo.commit("rewritten")
        try repo.deleteBranch("feature")
        try repo.mirror(to: bare)
        #expect(try bare.revParse("main") == rewritten)
        #expect(try bare.refs()["refs/heads/feature"] == nil)
    }

    @Test("a submodule can be added from another local repository")
    func addsSubmodule() throws {
        let library = try GitRepository()
        try library.write("lib", to: "lib.txt")
        try library.commit("lib")
        let app = try GitRepository()
        try app.write("app", to: "app.txt")
        try app.addSubmodule(url: library.path, at: "vendor/lib")
        try app.commit("add submodule")
        #expect(try app.git("ls-tree", "HEAD", "vendor/lib").hasPrefix("160000 commit"))
        #expect(try app.git("show", "HEAD:.gitmodules").contains("vendor/lib"))
    }

    @Test("the generator writes the asked number of files, commits and tags, and appends more")
    func generatorCounts() throws {
        let bare = try BareRepository(named: "big.git")
        let summary = try RepositoryGenerator.generate(
            into: bare.url, files: 250, commits: 40, tags: 4)
        #expect(try bare.git("ls-tree", "-r", "--name-only", "main").split(separator: "\n").count == 250)
        #expect(try bare.git("rev-list", "--count", "main") == "40")
        #expect(try bare.git("tag", "--list").split(separator: "\n").count == 4)
        #expect(try bare.revParse("v1.0.3") == summary.head)
        #expect(try bare.git("fsck", "--no-progress").isEmpty)

        let appended = try RepositoryGenerator.appendCommits(to: bare.url, count: 10)
        #expect(try bare.git("rev-list", "--count", "main") == "50")
        #expect(try bare.git("rev-parse", "main~10") == summary.head)
        #expect(appended.files == 250)
    }
}
