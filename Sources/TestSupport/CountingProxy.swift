import Foundation

/// A loopback TCP proxy that counts connections and bytes each way: "bytes on the wire" for
/// benchmarks (TLS included), and proof that clients honour `HTTPS_PROXY`.
///
/// Two modes: ``Mode/forward(host:port:)`` relays every connection to one target (point the
/// client at the proxy's port instead of the server's); ``Mode/httpProxy`` is an HTTP proxy
/// that tunnels `CONNECT host:port` (HTTPS) and relays absolute-form plain-HTTP requests,
/// recording each target. Stopped by PID on ``stop()`` and on deinit.
public final class CountingProxy: @unchecked Sendable {
    /// What the proxy does with a connection.
    public enum Mode: Sendable, Hashable {
        /// Relay every connection to `host:port`.
        case forward(host: String = "127.0.0.1", port: UInt16)
        /// Act as an HTTP proxy (`CONNECT` tunnels and absolute-form requests).
        case httpProxy
    }

    /// The proxy's TCP port on 127.0.0.1.
    public let port: UInt16
    /// The mode the proxy was started with.
    public let mode: Mode
    private let process: BackgroundProcess
    private let workDirectory: TemporaryDirectory
    private let statsFile: URL

    private init(
        port: UInt16, mode: Mode, process: BackgroundProcess, workDirectory: TemporaryDirectory,
        statsFile: URL
    ) {
        self.port = port
        self.mode = mode
        self.process = process
        self.workDirectory = workDirectory
        self.statsFile = statsFile
    }

    deinit { stop() }

    /// Starts a proxy and returns once it accepts connections.
    public static func start(mode: Mode) async throws -> CountingProxy {
        let workDirectory = try TemporaryDirectory(label: "proxy")
        let statsFile = workDirectory.appending("stats.json")
        var configuration: [String: Any] = ["statsFile": statsFile.path]
        switch mode {
        case .forward(let host, let port):
            configuration["mode"] = "forward"
            configuration["targetHost"] = host
            configuration["targetPort"] = Int(port)
        case .httpProxy:
            configuration["mode"] = "proxy"
        }
        let (process, port) = try await PythonScript.launch(
            name: "counting-proxy", source: script, configuration: configuration,
            in: workDirectory)
        return CountingProxy(
            port: port, mode: mode, process: process, workDirectory: workDirectory,
            statsFile: statsFile)
    }

    /// `127.0.0.1:PORT`.
    public var address: String { "\(Loopback.host):\(port)" }

    /// `http://127.0.0.1:PORT`, for `HTTPS_PROXY`/`HTTP_PROXY` in ``Mode/httpProxy``.
    public var proxyURL: String { "http://\(address)" }

    /// The counters so far. Bytes are counted before they are forwarded, so everything a
    /// finished client received is included.
    public func statistics() throws -> CountingProxyStatistics {
        guard let data = try? Data(contentsOf: statsFile), !data.isEmpty else {
            return CountingProxyStatistics(connections: [])
        }
        return try JSONDecoder().decode(CountingProxyStatistics.self, from: data)
    }

    /// Waits until every connection the proxy accepted has been closed on both sides.
    public func waitUntilIdle(timeout: Duration = .seconds(10)) async throws {
        try await waitUntil(timeout: timeout, "proxy connections closed") {
            try self.statistics().openConnections == 0
        }
    }

    /// The proxy's PID.
    public var pid: Int32 { process.pid }

    /// Whether the proxy is still running.
    public var isRunning: Bool { process.isRunning }

    /// What the proxy printed.
    public func log() -> String { process.log() }

    /// Stops the proxy and drops its connections. Safe to call more than once.
    public func stop() { process.stop() }
}

/// The counters of a ``CountingProxy``.
public struct CountingProxyStatistics: Sendable, Hashable, Decodable {
    /// One connection through the proxy.
    public struct Connection: Sendable, Hashable, Decodable {
        /// The proxy's number for the connection, from 1.
        public var id: Int
        /// `host:port` the connection was relayed to.
        public var target: String
        /// `CONNECT`, `GET`, ... in HTTP-proxy mode; nil in forward mode.
        public var method: String?
        /// Bytes the client sent (in proxy mode including the `CONNECT` request).
        public var bytesFromClient: Int
        /// Bytes sent to the client (in proxy mode including the `200` reply).
        public var bytesToClient: Int
        /// Whether the connection is still open.
        public var open: Bool
    }

    /// Every connection, in the order they were accepted.
    public var connections: [Connection]

    /// The number of connections accepted.
    public var connectionCount: Int { connections.count }
    /// The number of connections still open.
    public var openConnections: Int { connections.filter(\.open).count }
    /// Total bytes clients sent.
    public var bytesFromClients: Int { connections.reduce(0) { $0 + $1.bytesFromClient } }
    /// Total bytes sent to clients.
    public var bytesToClients: Int { connections.reduce(0) { $0 + $1.bytesToClient } }
    /// Total bytes both ways.
    public var totalBytes: Int { bytesFromClients + bytesToClients }
    /// The `CONNECT` targets seen (`host:port`), in order.
    public var connectTargets: [String] {
        connections.filter { $0.method == "CONNECT" }.map(\.target)
    }
}
