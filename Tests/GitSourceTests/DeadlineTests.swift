import Curl
import Foundation
import Testing
import TestSupport
@testable import GitSource

@Suite("Deadlines and cancellation on every transport")
struct DeadlineTests {
    static func expectTimeout(_ body: () async throws -> Void) async {
        await #expect {
            try await body()
        } throws: { error in
            let e = error as? GitSourceError
            return e?.code == .timeout && e?.message.contains("within 1s") == true
        }
    }

    @Test("a server that accepts and never answers fails the check, the fetch and the listing at the deadline",
          arguments: ["http", "https", "git", "ssh"])
    func silentServer(_ scheme: String) async throws {
        let server = try await HangingServer.start()
        defer { server.stop() }
        let state = try TemporaryDirectory(label: "state")
        defer { state.remove() }
        var options = GitSourceOptions()
        options.operationTimeout = .seconds(1)
        // The libraries are opened on first use (CDynamicLibrary): opened here, outside the second
        // under test. In a loaded suite, opening them inside it once left no time to connect.
        GitLibrary.prepare()
        CurlLibrary.open()
        let credentials = GitCredentials(sshPrivateKey: "/dev/null", knownHosts: "/dev/null")
        let mirror = GitMirror(url: try RepositoryURL(server.url(scheme: scheme)), credentials: credentials,
                               stateDirectory: state.path, options: options)
        await Self.expectTimeout { _ = try await mirror.resolveRemote(.branch("main")) }
        // The fetch goes through libgit2 (and, for HTTP, through the libcurl subtransport).
        await Self.expectTimeout { try await mirror.fetchAll() }
        // The server records an accept when it gets to it: under the whole suite, after the client gave up.
        try await waitUntil(timeout: .seconds(60), "both connections accepted") { try server.acceptedConnections() >= 2 }
    }

    @Test("cancelling the calling task stops a hung operation")
    func cancellation() async throws {
        let server = try await HangingServer.start()
        defer { server.stop() }
        let state = try TemporaryDirectory(label: "state")
        defer { state.remove() }
        for scheme in ["http", "git"] {
            let mirror = GitMirror(url: try RepositoryURL(server.url(scheme: scheme)), stateDirectory: state.path)
            let task = Task { try await mirror.fetchAll() }
            let before = try server.acceptedConnections()
            // Generous: under a loaded parallel run, starting the transport can take a while.
            try await waitUntil(timeout: .seconds(45)) { ((try? server.acceptedConnections()) ?? 0) > before }
            task.cancel()
            await #expect {
                try await task.value
            } throws: { ($0 as? GitSourceError)?.code == .cancelled }
        }
    }
}
