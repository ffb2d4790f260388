import Foundation
import Testing
import TestSupport

@Suite("GitDaemonServer")
struct GitDaemonServerTests {
    @Test("git clones a repository over git:// from the daemon")
    func cloneOverGitProtocol() async throws {
        let clock = ContinuousClock(); let t0 = clock.now
        let server = try await GitDaemonServer.start()
        print("TIMING start", clock.now - t0)
        let bare = try server.createRepository(named: "app")
        let work = try GitRepository()
        try work.write("hello\n", to: "README")
        let head = try work.commit("hello")
        try work.push(to: bare)

        let target = try TemporaryDirectory()
        let url = server.url(for: "app")
        #expect(url == "git://127.0.0.1:\(server.port)/app.git")
        try await GitCLI.runAsync(["clone", "--quiet", url, target.appending("clone").path])
        let cloned = try GitCLI.run(["rev-parse", "HEAD"], in: target.appending("clone")).trimmedOutput
        #expect(cloned == head)

        print("TIMING cloned", clock.now - t0)
        let pid = server.pid
        server.stop()
        #expect(!server.isRunning)
        #expect(!Loopback.isAccepting(port: server.port))
        try waitForExit(pid)
        print("TIMING stopped", clock.now - t0)
    }
}
