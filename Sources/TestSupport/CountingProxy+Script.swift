extension CountingProxy {
    /// The proxy, written to the fixture's directory at start. Python 3 standard library only.
    /// It keeps a JSON snapshot of its counters, updated before it forwards each chunk, so a
    /// client that has received its bytes always finds them counted.
    static let script = #"""
import json, os, socket, sys, threading, urllib.parse

CONFIG = json.load(open(sys.argv[1]))
LOCK = threading.Lock()
STATE = {"connections": []}


def save():
    path = CONFIG["statsFile"]
    with open(path + ".tmp", "w") as handle:
        json.dump(STATE, handle)
    os.replace(path + ".tmp", path)


def new_connection(target, method):
    with LOCK:
        entry = {"id": len(STATE["connections"]) + 1, "target": target, "method": method,
                 "bytesFromClient": 0, "bytesToClient": 0, "open": True}
        STATE["connections"].append(entry)
        save()
        return entry


def add(entry, key, count):
    with LOCK:
        entry[key] += count
        save()


def finish(entry):
    with LOCK:
        entry["open"] = False
        save()


def pump(source, destination, entry, key, done):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            add(entry, key, len(data))
            destination.sendall(data)
    except OSError:
        pass
    finally:
        try:
            destination.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        done.release()


def relay(client, upstream, entry, initial=b""):
    done = threading.Semaphore(0)
    if initial:
        upstream.sendall(initial)
    threading.Thread(target=pump, args=(client, upstream, entry, "bytesFromClient", done),
                     daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client, entry, "bytesToClient", done),
                     daemon=True).start()
    done.acquire()
    done.acquire()
    upstream.close()
    client.close()
    finish(entry)


def read_head(client):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return None, data
        data += chunk
        if len(data) > 65536:
            return None, data
    end = data.index(b"\r\n\r\n") + 4
    return data[:end], data[end:]


def handle_forward(client):
    target = "%s:%d" % (CONFIG["targetHost"], CONFIG["targetPort"])
    entry = new_connection(target, None)
    try:
        upstream = socket.create_connection((CONFIG["targetHost"], CONFIG["targetPort"]))
    except OSError:
        client.close()
        finish(entry)
        return
    relay(client, upstream, entry)


def handle_proxy(client):
    head, rest = read_head(client)
    if head is None:
        client.close()
        return
    request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = request_line.split(" ")
    method = parts[0] if parts else ""
    target_text = parts[1] if len(parts) > 1 else ""
    if method == "CONNECT":
        host, _, port = target_text.rpartition(":")
        host = host.strip("[]")
        port = int(port or 443)
    else:
        url = urllib.parse.urlsplit(target_text)
        host = url.hostname or ""
        port = url.port or (443 if url.scheme == "https" else 80)
    entry = new_connection("%s:%d" % (host, port), method)
    add(entry, "bytesFromClient", len(head))
    try:
        upstream = socket.create_connection((host, port), timeout=10)
        upstream.settimeout(None)
    except OSError:
        reply = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        add(entry, "bytesToClient", len(reply))
        client.sendall(reply)
        client.close()
        finish(entry)
        return
    if method == "CONNECT":
        reply = b"HTTP/1.1 200 Connection established\r\n\r\n"
        add(entry, "bytesToClient", len(reply))
        client.sendall(reply)
        if rest:
            add(entry, "bytesFromClient", len(rest))
        relay(client, upstream, entry, rest)
    else:
        if rest:
            add(entry, "bytesFromClient", len(rest))
        relay(client, upstream, entry, head + rest)


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    with LOCK:
        save()
    port_file = CONFIG["portFile"]
    with open(port_file + ".tmp", "w") as handle:
        handle.write("%d\n" % listener.getsockname()[1])
    os.rename(port_file + ".tmp", port_file)
    handler = handle_proxy if CONFIG["mode"] == "proxy" else handle_forward
    while True:
        client, _ = listener.accept()
        threading.Thread(target=handler, args=(client,), daemon=True).start()


main()
"""#
}
