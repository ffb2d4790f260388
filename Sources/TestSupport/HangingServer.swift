import Foundation

/// A TCP server on 127.0.0.1 that accepts connections and never sends a byte, keeping them open
/// until stopped: proves that client deadlines fire. It reads and discards what clients send,
/// and counts connections accepted and closed by the client. Stopped by PID on ``stop()`` and
/// on deinit (which closes every connection).
public final class HangingServer: @unchecked Sendable {
    /// The TCP port on 127.0.0.1.
    public let port: UInt16
    private let process: BackgroundProcess
    private let workDirectory: TemporaryDirectory
    private let eventsFile: URL

    private init(
        port: UInt16, process: BackgroundProcess, workDirectory: TemporaryDirectory, eventsFile: URL
    ) {
        self.port = port
        self.process = process
        self.workDirectory = workDirectory
        self.eventsFile = eventsFile
    }

    deinit { stop() }

    /// Starts the server and returns once it accepts connections.
    public static func start() async throws -> HangingServer {
        let workDirectory = try TemporaryDirectory(label: "hanging")
        let eventsFile = workDirectory.appending("events.jsonl")
        let (process, port) = try await PythonScript.launch(
            name: "hanging-server", source: script,
            configuration: ["eventsFile": eventsFile.path], in: workDirectory)
        return HangingServer(
            port: port, process: process, workDirectory: workDirectory, eventsFile: eventsFile)
    }

    /// `127.0.0.1:PORT`.
    public var address: String { "\(Loopback.host):\(port)" }

    /// A URL with `scheme` pointing at the server, e.g. `url(scheme: "https", path: "/r.git")`.
    public func url(scheme: String, path: String = "/repo.git") -> String {
        "\(scheme)://\(address)\(path)"
    }

    /// Connections accepted so far.
    public func acceptedConnections() throws -> Int { try events().filter { $0.event == "open" }.count }

    /// Connections the client has closed (the server never closes one).
    public func closedConnections() throws -> Int { try events().filter { $0.event == "close" }.count }

    /// Connections accepted and still open.
    public func openConnections() throws -> Int {
        try acceptedConnections() - closedConnections()
    }

    /// Waits until at least `count` connections have been accepted.
    public func waitForConnections(_ count: Int = 1, timeout: Duration = .seconds(30)) async throws {
        try await waitUntil(timeout: timeout, "\(count) connection(s) to the hanging server") {
            try self.acceptedConnections() >= count
        }
    }

    /// The server's PID.
    public var pid: Int32 { process.pid }

    /// Whether the server is still running.
    public var isRunning: Bool { process.isRunning }

    /// Stops the server, closing every connection. Safe to call more than once.
    public func stop() { process.stop() }

    private struct Event: Decodable {
        var event: String
        var connection: Int
    }

    private func events() throws -> [Event] {
        try PythonScript.readJSONLines(eventsFile, as: Event.self)
    }

    static let script = #"""
import json, os, socket, sys, threading

CONFIG = json.load(open(sys.argv[1]))
LOCK = threading.Lock()
HELD = []


def log(event, number):
    with LOCK:
        with open(CONFIG["eventsFile"], "a") as handle:
            handle.write(json.dumps({"event": event, "connection": number}) + "\n")


def drain(connection, number):
    try:
        while connection.recv(65536):
            pass
    except OSError:
        pass
    log("close", number)


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port_file = CONFIG["portFile"]
    with open(port_file + ".tmp", "w") as handle:
        handle.write("%d\n" % listener.getsockname()[1])
    os.rename(port_file + ".tmp", port_file)
    number = 0
    while True:
        connection, _ = listener.accept()
        number += 1
        HELD.append(connection)
        log("open", number)
        threading.Thread(target=drain, args=(connection, number), daemon=True).start()


main()
"""#
}
