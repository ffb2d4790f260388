import Foundation

/// A plain-HTTP server on 127.0.0.1 that answers its first requests with the given error
/// statuses (429 with `Retry-After`, 503, ...) and every later one with 200 and a small JSON
/// body: proves that clients back off and retry. Records each request it saw.
public final class ThrottlingServer: @unchecked Sendable {
    /// One request the server answered.
    public struct Request: Decodable, Sendable {
        public var method: String
        public var path: String
        public var status: Int
        public var time: Double
    }

    /// The TCP port on 127.0.0.1.
    public let port: UInt16
    private let process: BackgroundProcess
    private let workDirectory: TemporaryDirectory
    private let requestsFile: URL

    private init(port: UInt16, process: BackgroundProcess, workDirectory: TemporaryDirectory, requestsFile: URL) {
        self.port = port
        self.process = process
        self.workDirectory = workDirectory
        self.requestsFile = requestsFile
    }

    deinit { stop() }

    /// Starts a server whose first answers are `statuses` (then 200); `retryAfter` seconds go in
    /// the `Retry-After` header of 429 and 503 answers (none when nil).
    public static func start(statuses: [Int], retryAfter: Int? = nil) async throws -> ThrottlingServer {
        let workDirectory = try TemporaryDirectory(label: "throttling")
        let requestsFile = workDirectory.appending("requests.jsonl")
        var configuration: [String: Any] = ["requestsFile": requestsFile.path, "statuses": statuses]
        if let retryAfter { configuration["retryAfter"] = retryAfter }
        let (process, port) = try await PythonScript.launch(name: "throttling-server", source: script, configuration: configuration, in: workDirectory)
        return ThrottlingServer(port: port, process: process, workDirectory: workDirectory, requestsFile: requestsFile)
    }

    /// `http://127.0.0.1:PORT`.
    public var url: String { "http://\(Loopback.host):\(port)" }

    /// The requests answered so far, in order.
    public func requests() throws -> [Request] {
        try PythonScript.readJSONLines(requestsFile, as: Request.self)
    }

    /// Stops the server. Safe to call more than once.
    public func stop() { process.stop() }

    static let script = #"""
import json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONFIG = json.load(open(sys.argv[1]))
LOCK = threading.Lock()
STATUSES = list(CONFIG["statuses"])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        with LOCK:
            status = STATUSES.pop(0) if STATUSES else 200
            with open(CONFIG["requestsFile"], "a") as handle:
                handle.write(json.dumps({"method": self.command, "path": self.path, "status": status, "time": time.time()}) + "\n")
        if status == 200:
            body = json.dumps({"major": "1", "minor": "36", "gitVersion": "v1.36.0-throttling"}).encode()
        else:
            body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": status,
                               "reason": "TooManyRequests" if status == 429 else "ServiceUnavailable",
                               "message": "slow down"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status in (429, 503) and "retryAfter" in CONFIG:
            self.send_header("Retry-After", str(CONFIG["retryAfter"]))
        self.end_headers()
        self.wfile.write(body)

    do_GET = answer
    do_POST = answer
    do_PATCH = answer
    do_DELETE = answer


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
port_file = CONFIG["portFile"]
with open(port_file + ".tmp", "w") as handle:
    handle.write("%d\n" % server.server_address[1])
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
"""#
}
