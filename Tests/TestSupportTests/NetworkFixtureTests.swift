import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

@Suite("HangingServer, CountingProxy and StaticFileServer")
struct NetworkFixtureTests {
    @Test("a client of the hanging server waits until its own deadline while the connection stays open", arguments: ["git", "http"])
    func hangingServerHoldsConnections(scheme: String) async throws {
        let server = try await HangingServer.start()
        // The client's deadline leaves room for a loaded machine to start git and connect.
        async let listing = GitCLI.runAsync(
            ["ls-remote", server.url(scheme: scheme)], timeout: .seconds(40), check: false)
        try await server.waitForConnections(1, timeout: .seconds(40))
        #expect(try server.openConnections() == 1)
        let result = try await listing
        #expect(result.timedOut)
        try await waitUntil(timeout: .seconds(5), "client closed its connection") {
            try server.closedConnections() == 1
        }
        server.stop()
        #expect(!Loopback.isAccepting(port: server.port))
    }

    @Test("a stopped chart repository refuses connections and keeps its port from every other server until it serves again")
    func chartRepositoryKeepsItsPortWhileStopped() async throws {
        let charts = try TemporaryDirectory(label: "held-port-chart")
        defer { charts.remove() }
        let chart = try charts.makeSubdirectory("cache")
        try Data("apiVersion: v2\nname: cache\nversion: 1.0.0\n".utf8).write(to: chart.appendingPathComponent("Chart.yaml"))
        let repository = try await ChartRepositoryServer.start(charts: [chart])
        func index() async throws -> String {
            let (data, _) = try await URLSession.shared.data(from: try #require(URL(string: repository.url + "/index.yaml")))
            return String(decoding: data, as: UTF8.self)
        }
        #expect(try await index().contains("name: cache"))
        repository.stop()
        #expect(!Loopback.isAccepting(port: repository.port))
        // What another test's server does when the system gives it this port: bind it, as Python's
        // http.server does (SO_REUSEADDR, no SO_REUSEPORT). It must fail.
        let other = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(other) }
        var on: Int32 = 1
        _ = setsockopt(other, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = repository.port.bigEndian
        address.sin_addr.s_addr = inet_addr(Loopback.host)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(other, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(bound == -1 && errno == EADDRINUSE, "another server could take the stopped repository's port")
        try await repository.restart()
        #expect(try await index().contains("name: cache"))
        repository.stop()
        #expect(!Loopback.isAccepting(port: repository.port))
    }

    @Test("the forwarding proxy counts the bytes and connections of a clone")
    func forwardProxyCountsBytes() async throws {
        let daemon = try await GitDaemonServer.start()
        let bare = try daemon.createRepository(named: "app")
        let work = try GitRepository()
        try work.writeLargeFile(at: "data.bin", size: 64 * 1024)
        try work.commit("data")
        try work.push(to: bare)
        let proxy = try await CountingProxy.start(mode: .forward(port: daemon.port))
        let target = try TemporaryDirectory()
        try await GitCLI.runAsync(
            ["clone", "--quiet", "git://\(proxy.address)/app.git", target.appending("clone").path])
        try await proxy.waitUntilIdle()
        let statistics = try proxy.statistics()
        #expect(statistics.connectionCount == 1)
        #expect(statistics.bytesFromClients > 0)
        #expect(statistics.bytesToClients > 64 * 1024)
        #expect(statistics.connections.first?.target == "127.0.0.1:\(daemon.port)")
    }

    @Test("the HTTP proxy tunnels HTTPS_PROXY traffic and records the CONNECT target")
    func connectProxyRecordsTargets() async throws {
        let server = try await GitHTTPServer.start(options: .init(tls: true))
        let bare = try server.createRepository(named: "app")
        let work = try GitRepository()
        try work.write("x", to: "x")
        let head = try work.commit("x")
        try work.push(to: bare)
        let proxy = try await CountingProxy.start(mode: .httpProxy)
        let ca = try #require(server.caCertificatePath)
        let listing = try await GitCLI.runAsync(
            ["ls-remote", server.url(for: "app")],
            environment: [
                "GIT_SSL_CAINFO": ca.path, "HTTPS_PROXY": proxy.proxyURL,
                "https_proxy": proxy.proxyURL, "NO_PROXY": "", "no_proxy": "",
            ])
        #expect(listing.output.contains("\(head)\tHEAD"))
        let statistics = try proxy.statistics()
        #expect(statistics.connectTargets.contains("127.0.0.1:\(server.port)"))
        #expect(statistics.totalBytes > 0)
    }

    @Test("the static file server answers a flood of GETs with the file's bytes, and names its worker")
    func staticFileServer() async throws {
        let body = Data(#"[{"app":"one"}]"#.utf8)
        let server = try await StaticFileServer.start(body: body, at: "api/v1/apps")
        let flood = try await HTTPClientScript.run("flood", port: Int(server.port), ["20", "\(server.workerPID)"])
        #expect(flood["statuses"] as? [String: Int] == ["200": 20], "\(flood)")
        #expect((flood["bytes"] as? Int ?? 0) > body.count, "the answer holds the head and the body")
        let status = try String(contentsOfFile: "/proc/\(server.workerPID)/status", encoding: .utf8)
        #expect(status.contains("nginx"))
        server.stop()
    }
}
