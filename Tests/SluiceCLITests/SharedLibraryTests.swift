import Foundation
import Testing
import TestSupport

/// libcurl and libgit2 are opened on first use (CDynamicLibrary), not by the dynamic loader at exec.
@Suite("libcurl and libgit2, opened on first use")
struct SharedLibraryTests {
    /// The soname `sluice version` reports for libgit2 (`1.5.1` → `libgit2.so.1.5`).
    static func libgit2Soname() async throws -> String {
        let version = try await CLI.run(["version", "--output", "json"])
        #expect(version.exitCode == 0, "\(version.errorOutput)")
        let object = try #require(try JSONSerialization.jsonObject(with: version.stdout) as? [String: String])
        let parts = try #require(object["libgit2"]).split(separator: ".")
        try #require(parts.count >= 2)
        return "libgit2.so.\(parts[0]).\(parts[1])"
    }

    @Test("a library that cannot be opened ends the command with 127 and the loader's reason, naming the library")
    func unloadable() async throws {
        let directory = try TemporaryDirectory(label: "shared-libraries")
        defer { directory.remove() }
        for soname in ["libcurl.so.4", try await Self.libgit2Soname()] {
            // A file that is not a shared library, found first through LD_LIBRARY_PATH.
            let broken = try directory.makeSubdirectory(soname)
            try Data("not a shared library\n".utf8).write(to: broken.appendingPathComponent(soname))
            let result = try await CLI.run(["version"], environment: ["LD_LIBRARY_PATH": broken.path])
            #expect(result.exitCode == 127, "\(soname): \(result.output) \(result.errorOutput)")
            #expect(result.errorOutput.contains("sluice: cannot load the shared library \(soname): "), "\(result.errorOutput)")
            #expect(result.errorOutput.contains(broken.path), "the loader's reason names the file: \(result.errorOutput)")
            #expect(result.output.isEmpty, "nothing is reported as done: \(result.output)")
        }
    }

    @Test("sluice local-cluster, which speaks neither HTTP as a client nor Git, never maps them")
    func localClusterMapsNeither() async throws {
        let ws = try SyncCommandTests.Workspace("shared-libraries-cluster")
        let cluster = try await SyncCommandTests.RunningCluster(ws)
        defer { cluster.stop() }
        // The server answers, so it has run a while: what it maps now is what it needs.
        let nodes = try await cluster.kubectl(["get", "namespaces", "-o", "name"])
        #expect(nodes.exitCode == 0, "\(nodes.errorOutput)")
        let maps = try String(contentsOfFile: "/proc/\(cluster.process.pid)/maps", encoding: .utf8)
        #expect(maps.contains("/sluice"), "the maps read are the server's")
        #expect(!maps.contains("libcurl"), "libcurl is mapped by sluice local-cluster")
        #expect(!maps.contains("libgit2"), "libgit2 is mapped by sluice local-cluster")
    }
}
