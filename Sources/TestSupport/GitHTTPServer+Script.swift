extension GitHTTPServer {
    /// The loopback HTTP server, written to the fixture's directory at start. Python 3 standard
    /// library only. It reads its settings from the JSON file named by its first argument.
    static let script = #"""
import base64, json, os, socket, ssl, subprocess, sys, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONFIG = json.load(open(sys.argv[1]))
STATS_LOCK = threading.Lock()
CONNECTIONS = [0]


class CountingReader:
    def __init__(self, raw):
        self.raw = raw
        self.count = 0

    def read(self, n=-1):
        data = self.raw.read(n)
        self.count += len(data)
        return data

    def readline(self, limit=-1):
        data = self.raw.readline(limit)
        self.count += len(data)
        return data

    def __getattr__(self, name):
        return getattr(self.raw, name)


class CountingWriter:
    def __init__(self, raw):
        self.raw = raw
        self.count = 0

    def write(self, data):
        self.count += len(data)
        return self.raw.write(data)

    def __getattr__(self, name):
        return getattr(self.raw, name)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SluiceTestGitHTTP/1.0"
    timeout = 300

    def setup(self):
        super().setup()
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        with STATS_LOCK:
            CONNECTIONS[0] += 1
            self.connection_id = CONNECTIONS[0]
        self.rfile = CountingReader(self.rfile)
        self.wfile = CountingWriter(self.wfile)

    def handle_one_request(self):
        self.rfile.count = 0
        self.wfile.count = 0
        super().handle_one_request()

    def log_message(self, format, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))

    def do_GET(self):
        self.serve_git()

    def do_POST(self):
        self.serve_git()

    def record(self, status, response_bytes, user, chunked_request):
        path, _, query = self.target().partition("?")
        entry = {
            "connection": self.connection_id,
            "method": self.command,
            "path": path,
            "query": query,
            "status": status,
            "requestBytes": self.rfile.count,
            "responseBytes": response_bytes,
            "gitProtocol": self.headers.get("Git-Protocol"),
            "user": user,
            "contentEncoding": self.headers.get("Content-Encoding"),
            "chunkedRequest": chunked_request,
            "authorization": (self.headers.get("Authorization") or "").split(" ")[0] or None,
            "time": time.time(),
        }
        with STATS_LOCK:
            with open(CONFIG["statsFile"], "a") as stats:
                stats.write(json.dumps(entry) + "\n")

    def target(self):
        # Absolute-form request targets arrive when a client talks through a forward proxy.
        if self.path.startswith("http://") or self.path.startswith("https://"):
            parts = urllib.parse.urlsplit(self.path)
            return parts.path + ("?" + parts.query if parts.query else "")
        return self.path

    def authenticate(self):
        """Returns (allowed, remote_user)."""
        username = CONFIG.get("username")
        token = CONFIG.get("bearerToken")
        if username is None and token is None:
            return True, None
        header = self.headers.get("Authorization") or ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic" and username is not None:
            try:
                decoded = base64.b64decode(value.strip()).decode("utf-8")
            except Exception:
                return False, None
            user, _, password = decoded.partition(":")
            if user == username and password == CONFIG.get("password"):
                return True, user
        if scheme.lower() == "bearer" and token is not None and value.strip() == token:
            return True, CONFIG.get("bearerUser") or "bearer"
        return False, None

    def read_body(self):
        encoding = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in encoding:
            parts = []
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionError("connection closed inside a chunked body")
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while True:
                        trailer = self.rfile.readline(65537)
                        if trailer in (b"\r\n", b"\n", b""):
                            break
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(parts), True
        length = int(self.headers.get("Content-Length") or 0)
        return (self.rfile.read(length) if length > 0 else b""), False

    def send_plain(self, status, text, extra_headers=(), user=None, chunked_request=False):
        body = text.encode("utf-8")
        self.send_response(status)
        for name, value in extra_headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.record(status, self.wfile.count + len(body), user, chunked_request)
        self.wfile.write(body)
        self.wfile.flush()

    def serve_git(self):
        allowed, user = self.authenticate()
        body, chunked_request = self.read_body()
        if not allowed:
            realm = CONFIG.get("realm") or "Sluice test"
            self.send_plain(401, "Authentication required\n",
                            [("WWW-Authenticate", 'Basic realm="%s"' % realm)],
                            chunked_request=chunked_request)
            return
        path, _, query = self.target().partition("?")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/"),
            "GIT_PROJECT_ROOT": CONFIG["projectRoot"],
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_SOFTWARE": self.server_version,
            "REQUEST_METHOD": self.command,
            "PATH_INFO": urllib.parse.unquote(path),
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type") or "",
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": self.client_address[0],
        }
        if user is not None:
            env["REMOTE_USER"] = user
        protocol = self.headers.get("Git-Protocol")
        if protocol and CONFIG.get("protocolV2", True):
            env["GIT_PROTOCOL"] = protocol
        content_encoding = self.headers.get("Content-Encoding")
        if content_encoding:
            env["HTTP_CONTENT_ENCODING"] = content_encoding
        if CONFIG.get("receivePack"):
            env["GIT_CONFIG_COUNT"] = "1"
            env["GIT_CONFIG_KEY_0"] = "http.receivepack"
            env["GIT_CONFIG_VALUE_0"] = "true"

        backend = subprocess.Popen([CONFIG["git"], "http-backend"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=sys.stderr, env=env)

        def feed():
            try:
                backend.stdin.write(body)
            except BrokenPipeError:
                pass
            finally:
                try:
                    backend.stdin.close()
                except BrokenPipeError:
                    pass

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        status = 200
        headers = []
        while True:
            line = backend.stdout.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").rstrip("\r\n").partition(":")
            value = value.strip()
            if name.lower() == "status":
                status = int(value.split(" ")[0])
            elif name.lower() not in ("content-length", "transfer-encoding", "connection"):
                headers.append((name, value))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        while True:
            data = backend.stdout.read1(65536)
            if not data:
                break
            self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
        backend.wait()
        feeder.join()
        final = b"0\r\n\r\n"
        # Record before the last bytes, so a client that has finished always finds its record.
        self.record(status, self.wfile.count + len(final), user, chunked_request)
        self.wfile.write(final)
        self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, (ssl.SSLError, ConnectionError, socket.timeout, TimeoutError)):
            sys.stderr.write("connection from %s ended: %r\n" % (client_address, error))
        else:
            super().handle_error(request, client_address)


def main():
    server = Server(("127.0.0.1", CONFIG.get("port", 0)), Handler)
    if CONFIG.get("certificate"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(CONFIG["certificate"], CONFIG["privateKey"])
        server.socket = context.wrap_socket(server.socket, server_side=True,
                                            do_handshake_on_connect=False)
    port_file = CONFIG["portFile"]
    with open(port_file + ".tmp", "w") as handle:
        handle.write("%d\n" % server.server_address[1])
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


main()
"""#
}
