import Foundation

/// A plain-HTTP server on 127.0.0.1 for streaming clients:
///
/// - `GET /trickle` answers 200 and then a line (`tick N\n`) every 100 ms, forever, in chunked
///   encoding: a stream that only the client can end.
/// - `GET /bytes/N` answers 200 with N bytes, byte i being `i % 251`, written in 64 KiB pieces.
/// - `GET /redirect-to-bytes` redirects to `/bytes/10`; `GET /redirect-to-file` to a `file://` URL.
///
/// Records when each connection closes, to show that a client's stop reached the socket.
public final class StreamingServer: @unchecked Sendable {
    /// The TCP port on 127.0.0.1.
    public let port: UInt16
    private let process: BackgroundProcess
    private let workDirectory: TemporaryDirectory
    private let eventsFile: URL

    private init(port: UInt16, process: BackgroundProcess, workDirectory: TemporaryDirectory, eventsFile: URL) {
        self.port = port
        self.process = process
        self.workDirectory = workDirectory
        self.eventsFile = eventsFile
    }

    deinit { stop() }

    /// Starts the server and returns once it accepts connections.
    public static func start() async throws -> StreamingServer {
        let workDirectory = try TemporaryDirectory(label: "streaming")
        let eventsFile = workDirectory.appending("events.jsonl")
        let (process, port) = try await PythonScript.launch(
            name: "streaming-server", source: script, configuration: ["eventsFile": eventsFile.path], in: workDirectory)
        return StreamingServer(port: port, process: process, workDirectory: workDirectory, eventsFile: eventsFile)
    }

    /// `http://127.0.0.1:PORT`.
    public var url: String { "http://\(Loopback.host):\(port)" }

    /// Streams whose client went away (the server noticed when writing).
    public func abandonedStreams() throws -> Int {
        try PythonScript.readJSONLines(eventsFile, as: Event.self).filter { $0.event == "abandoned" }.count
    }

    /// The byte `/bytes/N` sends at `index`.
    public static func byte(at index: Int) -> UInt8 { UInt8(index % 251) }

    /// Stops the server. Safe to call more than once.
    public func stop() { process.stop() }

    private struct Event: Decodable {
        var event: String
    }

    static let script = #"""
import json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONFIG = json.load(open(sys.argv[1]))
LOCK = threading.Lock()
PATTERN = bytes(i % 251 for i in range(251 * 264))


def log(event):
    with LOCK:
        with open(CONFIG["eventsFile"], "a") as handle:
            handle.write(json.dumps({"event": event}) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            number = 0
            try:
                while True:
                    line = ("tick %d\n" % number).encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                    self.wfile.flush()
                    number += 1
                    time.sleep(0.1)
            except OSError:
                log("abandoned")
                self.close_connection = True
            return
        if self.path.startswith("/bytes/"):
            total = int(self.path[len("/bytes/"):])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(total))
            self.end_headers()
            sent = 0
            while sent < total:
                start = sent % 251
                piece = PATTERN[start:start + min(65536, total - sent)]
                self.wfile.write(piece)
                sent += len(piece)
            return
        targets = {"/redirect-to-bytes": "/bytes/10", "/redirect-to-file": "file:///etc/hostname"}
        if self.path in targets:
            self.send_response(302)
            self.send_header("Location", targets[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_error(404)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
port_file = CONFIG["portFile"]
with open(port_file + ".tmp", "w") as handle:
    handle.write("%d\n" % server.server_address[1])
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
"""#
}
