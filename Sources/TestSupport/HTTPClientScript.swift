import Foundation

/// A raw HTTP/1.1 client in Python (standard library only), for what URLSession cannot do: keep a
/// connection open sending nothing, trickle a head or a body, hold requests half sent, open 500
/// connections at once. Each scenario prints one JSON object; times are in seconds.
public enum HTTPClientScript {
    /// The script: `python3 -c SOURCE SCENARIO PORT ARGS...`.
    public static let source = #"""
        import asyncio, hashlib, hmac, json, os, socket, sys, time

        scenario, port = sys.argv[1], int(sys.argv[2])
        args = sys.argv[3:]

        def connect():
            return socket.create_connection(("127.0.0.1", port), timeout=30)

        def closed_within(s, limit):
            """Seconds until the server closes the connection (None if it stays open), and what it sent."""
            start, data = time.monotonic(), b""
            s.settimeout(0.05)
            while time.monotonic() - start < limit:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    continue
                except (ConnectionResetError, BrokenPipeError):
                    return time.monotonic() - start, data
                if not chunk:
                    return time.monotonic() - start, data
                data += chunk
            return None, data

        def trickle(s, first, byte, limit):
            """Sends `first`, then `byte` every 0.2 s, until the server closes the connection."""
            s.sendall(first)
            start, data = time.monotonic(), b""
            s.settimeout(0.2)
            while time.monotonic() - start < limit:
                try:
                    chunk = s.recv(65536)
                    if not chunk:
                        return time.monotonic() - start, data
                    data += chunk
                except socket.timeout:
                    pass
                except (ConnectionResetError, BrokenPipeError):
                    return time.monotonic() - start, data
                try:
                    s.sendall(byte)
                except (ConnectionResetError, BrokenPipeError):
                    return time.monotonic() - start, data
            return None, data

        def signed_post(path, body, secret, extra=b""):
            signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            return (f"POST {path} HTTP/1.1\r\nHost: agent\r\nContent-Type: application/json\r\n"
                    f"X-Hub-Signature-256: {signature}\r\nContent-Length: {len(body)}\r\n").encode() + extra + b"\r\n"

        def read_response(s, limit=30):
            """One whole response (head and Content-Length body): status, headers (lower case), body."""
            s.settimeout(limit)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ")[1]) if lines and lines[0].startswith("HTTP/") else 0
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            while len(rest) < length:
                chunk = s.recv(65536)
                if not chunk:
                    break
                rest += chunk
            return status, headers, rest[:length].decode("utf-8", "replace")

        result = {}
        if scenario == "idle":
            # Connects and sends nothing.
            result["closedAfter"], _ = closed_within(connect(), 60)
        elif scenario == "keep-alive":
            # One request answered, then the connection kept open with nothing more sent.
            s = connect()
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: agent\r\n\r\n")
            result["status"], _, _ = read_response(s)
            result["closedAfter"], _ = closed_within(s, 60)
        elif scenario == "slow-header":
            # A head that never ends: one more header line every 0.2 s.
            result["closedAfter"], data = trickle(connect(), b"GET /healthz HTTP/1.1\r\nHost: agent\r\n", b"X-Slow: 1\r\n", 60)
            result["answered"] = data.decode("latin-1")
        elif scenario == "slow-body":
            # A head promising 100,000 bytes, then one byte every 0.2 s.
            result["closedAfter"], data = trickle(connect(), b"POST /hooks/github HTTP/1.1\r\nHost: agent\r\nContent-Length: 100000\r\n\r\n{", b" ", 60)
            result["answered"] = data.decode("latin-1")
        elif scenario == "busy":
            # limit + 1 signed webhooks, each held one byte short of its body: one is refused at once.
            limit, secret = int(args[0]), args[1]
            body = json.dumps({"repository": {"clone_url": "https://example.invalid/none.git"}}).encode()
            sockets = [connect() for _ in range(limit + 1)]
            for s in sockets:
                s.sendall(signed_post("/hooks/github", body, secret) + body[:-1])
            deadline = time.monotonic() + 30
            refused = []
            while time.monotonic() < deadline and not refused:
                for index, s in enumerate(sockets):
                    s.setblocking(False)
                    try:
                        if s.recv(1, socket.MSG_PEEK):
                            refused.append(index)
                    except BlockingIOError:
                        pass
                    s.setblocking(True)
                time.sleep(0.01)
            result["refused"] = []
            for index in refused:
                status, headers, text = read_response(sockets[index])
                after, _ = closed_within(sockets[index], 10)
                result["refused"].append({"status": status, "retryAfter": headers.get("retry-after"),
                                          "connection": headers.get("connection"), "body": text, "closedAfter": after})
            # The held requests have not been answered: their bodies are not complete.
            held = [s for index, s in enumerate(sockets) if index not in refused]
            result["answeredEarly"] = 0
            for s in held:
                s.setblocking(False)
                try:
                    if s.recv(1, socket.MSG_PEEK):
                        result["answeredEarly"] += 1
                except BlockingIOError:
                    pass
                s.setblocking(True)
            result["completed"] = []
            for s in held:
                s.sendall(body[-1:])
            for s in held:
                status, _, text = read_response(s)
                result["completed"].append({"status": status, "body": text})
            # The places are free again.
            s = connect()
            s.sendall(b"GET /api/v1/apps HTTP/1.1\r\nHost: agent\r\n\r\n")
            result["after"], _, _ = read_response(s)
        elif scenario == "too-large":
            # 1 MiB + 1 byte, announced by Content-Length (args[0] == "length") or sent in chunks.
            size = 1024 * 1024 + 1
            s = connect()
            if args[0] == "length":
                s.sendall(f"POST /hooks/github HTTP/1.1\r\nHost: agent\r\nContent-Length: {size}\r\n\r\n".encode())
                try:
                    s.sendall(b"x" * size)
                except (ConnectionResetError, BrokenPipeError):
                    pass
            else:
                s.sendall(b"POST /hooks/github HTTP/1.1\r\nHost: agent\r\nTransfer-Encoding: chunked\r\n\r\n")
                try:
                    for _ in range(24):
                        s.sendall(b"10000\r\n" + b"x" * 65536 + b"\r\n")
                    s.sendall(b"0\r\n\r\n")
                except (ConnectionResetError, BrokenPipeError):
                    pass
            status, headers, text = read_response(s)
            after, _ = closed_within(s, 30)
            result = {"status": status, "connection": headers.get("connection"), "body": text, "closedAfter": after}
        elif scenario == "flood":
            # args: count, the agent's pid; `count` connections at once, each GET /api/v1/apps.
            count, pid = int(args[0]), int(args[1])
            token = args[2] if len(args) > 2 else ""

            def rss():
                with open(f"/proc/{pid}/status") as status:
                    for line in status:
                        if line.startswith("VmRSS:"):
                            return int(line.split()[1]) * 1024
                return 0

            def cpu():
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

            async def one():
                started = time.monotonic()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                auth = f"Authorization: Bearer {token}\r\n" if token else ""
                writer.write(f"GET /api/v1/apps HTTP/1.1\r\nHost: agent\r\n{auth}Connection: close\r\n\r\n".encode())
                await writer.drain()
                first = await reader.read(65536)
                size = len(first)
                while True:
                    chunk = await reader.read(262144)
                    if not chunk:
                        break
                    size += len(chunk)
                writer.close()
                status = int(first.split(b" ", 2)[1]) if first.startswith(b"HTTP/") else 0
                return status, time.monotonic() - started, size

            async def sample(peak, stop):
                while not stop.is_set():
                    peak[0] = max(peak[0], rss())
                    await asyncio.sleep(0.005)

            async def main():
                before, cpu_before = rss(), cpu()
                peak, stop = [before], asyncio.Event()
                sampler = asyncio.create_task(sample(peak, stop))
                started = time.monotonic()
                answers = await asyncio.gather(*[one() for _ in range(count)], return_exceptions=True)
                total = time.monotonic() - started
                stop.set()
                await sampler
                peak[0] = max(peak[0], rss())
                statuses = {}
                for answer in answers:
                    key = str(answer[0]) if isinstance(answer, tuple) else type(answer).__name__
                    statuses[key] = statuses.get(key, 0) + 1
                times = sorted(answer[1] for answer in answers if isinstance(answer, tuple))
                return {"statuses": statuses, "seconds": total, "slowest": times[-1] if times else None,
                        "median": times[len(times) // 2] if times else None,
                        "bytes": max((answer[2] for answer in answers if isinstance(answer, tuple)), default=0),
                        "rssBefore": before, "rssPeak": peak[0], "rssAfter": rss(),
                        "agentCPU": cpu() - cpu_before, "clientCPU": time.process_time()}

            result = asyncio.run(main())
        print(json.dumps(result))
        """#

    /// Runs `scenario` against the server on 127.0.0.1:`port` and returns the JSON it prints; throws
    /// when the script fails or prints no JSON object.
    public static func run(_ scenario: String, port: Int, _ arguments: [String] = [], timeout: Duration = .seconds(120)) async throws -> [String: Any] {
        let result = try await ProcessRunner.runAsync(
            "python3", ["-c", source, scenario, "\(port)"] + arguments, environment: ["PYTHONDONTWRITEBYTECODE": "1"], timeout: timeout)
        guard result.exitCode == 0 else {
            throw TestSupportError(.commandFailed, "HTTP client scenario \(scenario) exited with \(result.exitCode): \(result.errorOutput)")
        }
        let line = result.trimmedOutput.split(separator: "\n").last.map(String.init) ?? ""
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestSupportError(.commandFailed, "HTTP client scenario \(scenario) printed no JSON object: \(result.output)\(result.errorOutput)")
        }
        return object
    }
}
