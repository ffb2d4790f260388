import Foundation
import KubeModel
import LocalCluster
import Testing
import TestSupport

@testable import KubeClient

/// Throttling the way the server wants it: LocalCluster announces API Priority and Fairness and
/// refuses requests beyond its in-flight limit with 429 and Retry-After, as kube-apiserver does; a
/// client with the default rate then leaves throttling to the server, bounded only by its
/// in-flight limit, and a rate the user chose always holds.
@Suite("API Priority and Fairness", .timeLimit(.minutes(8)))
struct FlowControlTests {
    @Test("the default rate limit steps aside once the server announces API Priority and Fairness; a chosen rate holds")
    func defaultLimitYieldsToTheServer() async throws {
        let fixture = try await ClientFixture()
        defer { Task { await fixture.stop() } }
        #expect(!fixture.client.transport.limiter.isYielding, "nothing heard from the server yet")
        _ = try await fixture.client.serverVersion()
        #expect(fixture.client.transport.limiter.isYielding)

        var chosen = KubeClient.Options()
        chosen.qps = 50
        let client = ClientFixture.client(for: fixture.cluster, options: chosen)
        _ = try await client.serverVersion()
        #expect(!client.transport.limiter.isYielding, "--kube-qps given: the client keeps its own limit")
    }

    @Test("a request beyond the server's in-flight limit is answered 429 with Retry-After: 1 and the flow-control headers")
    func overloadedServerAnswers429() async throws {
        let directory = try TemporaryDirectory(label: "flow-control")
        let cluster = try LocalCluster(
            options: LocalClusterOptions(host: "127.0.0.1", port: 0, dataDirectory: directory.appending("data"), maxRequestsInFlight: 1))
        try await cluster.start()
        defer { Task { await cluster.stop() } }
        let ca = directory.appending("ca.pem")
        try Data(cluster.caCertificatePEM.utf8).write(to: ca)
        let port = try #require(URL(string: cluster.url)?.port)
        // One request held in flight (its body never finishes), then others until one is refused.
        let script = """
            import http.client, json, socket, ssl, sys, time
            port, ca, token = int(sys.argv[1]), sys.argv[2], sys.argv[3]
            context = ssl.create_default_context(cafile=ca)
            held = context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
            held.sendall(("POST /api/v1/namespaces/default/configmaps HTTP/1.1\\r\\nHost: local\\r\\nAuthorization: Bearer %s\\r\\n"
                          "Content-Type: application/json\\r\\nContent-Length: 100\\r\\n\\r\\n{" % token).encode())
            def get():
                connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=60)
                connection.request("GET", "/api/v1/namespaces/default/configmaps", headers={"Authorization": "Bearer " + token})
                response = connection.getresponse()
                body = response.read()
                return response.status, {k.lower(): v for k, v in response.getheaders()}, body
            deadline = time.time() + 60
            while True:
                status, headers, body = get()
                if status == 429 or time.time() > deadline:
                    break
            held.close()
            while True:
                after, _, _ = get()
                if after != 429 or time.time() > deadline + 60:
                    break
            print(json.dumps({"status": status, "retryAfter": headers.get("retry-after"), "flowSchema": headers.get("x-kubernetes-pf-flowschema-uid"),
                              "body": json.loads(body), "after": after}))
            """
        // Off the cooperative pool: the script waits on this process's own cluster.
        let result = try await ProcessRunner.runAsync(
            "/usr/bin/env", ["python3", "-c", script, String(port), ca.path, cluster.token], timeout: .seconds(240), check: true)
        let answer = try JSONValue.parse(Array(result.stdout))
        #expect(answer["status"] == 429)
        #expect(answer["retryAfter"] == "1")
        #expect(answer["flowSchema"]?.stringValue?.isEmpty == false)
        #expect(answer[path: ["body", "reason"]] == "TooManyRequests")
        #expect(answer[path: ["body", "message"]] == "Too many requests, please try again later.")
        #expect(answer[path: ["body", "details", "retryAfterSeconds"]] == 1)
        #expect(answer["after"] == 200, "served again once the held request is gone")
        #expect(cluster.requestsRefusedAsOverloaded >= 1)
    }

    /// A process that holds `count` requests in flight (bodies never finished) until `release` exists.
    static func holdRequests(_ count: Int, cluster: LocalCluster, directory: TemporaryDirectory, release: URL) throws -> BackgroundProcess {
        let ca = directory.appending("ca.pem")
        try Data(cluster.caCertificatePEM.utf8).write(to: ca)
        let port = URL(string: cluster.url)?.port ?? 0
        let script = """
            import os, socket, ssl, sys, time
            port, ca, token, count, release = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
            context = ssl.create_default_context(cafile=ca)
            held = []
            for _ in range(count):
                connection = context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
                connection.sendall(("POST /api/v1/namespaces/default/configmaps HTTP/1.1\\r\\nHost: local\\r\\nAuthorization: Bearer %s\\r\\n"
                                    "Content-Type: application/json\\r\\nContent-Length: 100\\r\\n\\r\\n{" % token).encode())
                held.append(connection)
            while not os.path.exists(release):
                time.sleep(0.05)
            for connection in held:
                connection.close()
            """
        return try BackgroundProcess(
            "python3", ["-c", script, String(port), ca.path, cluster.token, String(count), release.path], logFile: directory.appending("holder.log"))
    }

    @Test("200 concurrent writes while the server is full all succeed: refused ones wait for Retry-After and are sent again")
    func clientSlowsDownGracefully() async throws {
        let directory = try TemporaryDirectory(label: "flow-control")
        let cluster = try LocalCluster(
            options: LocalClusterOptions(host: "127.0.0.1", port: 0, dataDirectory: directory.appending("data"), maxRequestsInFlight: 2))
        try await cluster.start()
        defer { Task { await cluster.stop() } }
        // Both of the server's slots taken: every write is refused until they are given back.
        let release = directory.appending("release")
        let holder = try Self.holdRequests(2, cluster: cluster, directory: directory, release: release)
        defer { holder.stop() }
        try await waitUntil(timeout: .seconds(120), "both slots held") { cluster.requestsInFlightNow == 2 }
        let client = ClientFixture.client(for: cluster)
        let writes = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask { _ = try await client.create(configMap("load-\(index)")) }
                }
                try await group.waitForAll()
            }
        }
        try await waitUntil(timeout: .seconds(120), "a write refused as overloaded") { cluster.requestsRefusedAsOverloaded > 0 }
        try Data().write(to: release)
        try await writes.value
        let listed = try await client.list(Kinds.configMap, namespace: "default")
        #expect(listed.items.filter { $0.name?.hasPrefix("load-") == true }.count == 200)
        #expect(client.transport.limiter.isYielding)
    }

    @Test("waiters for an in-flight slot are served in turn, and a cancelled waiter leaves the queue")
    func inFlightLimitQueuesAndCancels() async throws {
        let limit = InFlightLimit(1)
        #expect(limit.currentLimit == 1)
        try await limit.acquire()
        let waiter = Task { try await limit.acquire() }
        let cancelled = Task { try await limit.acquire() }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        limit.release()
        try await waiter.value
        limit.release()
        try await limit.acquire()
        limit.release()
    }

    @Test("the in-flight bound starts at 4 and doubles per window of answers, halves when the server refuses a request as overloaded, then grows back by one per window")
    func inFlightLimitAdaptsToTheServer() async throws {
        let limit = InFlightLimit(8)
        #expect(limit.currentLimit == 4)
        for _ in 0..<4 {
            try await limit.acquire()
            limit.release()
        }
        #expect(limit.currentLimit == 8, "slow start: doubled after a window of 4 answers")
        try await limit.acquire()
        limit.release(overloaded: true)
        #expect(limit.currentLimit == 4)
        try await limit.acquire()
        limit.release(overloaded: true)
        try await limit.acquire()
        limit.release(overloaded: true)
        try await limit.acquire()
        limit.release(overloaded: true)
        #expect(limit.currentLimit == 1, "never below one")
        for _ in 0..<1 {
            try await limit.acquire()
            limit.release()
        }
        #expect(limit.currentLimit == 2)
        for _ in 0..<2 {
            try await limit.acquire()
            limit.release()
        }
        #expect(limit.currentLimit == 3)
        for _ in 0..<100 {
            try await limit.acquire()
            limit.release()
        }
        #expect(limit.currentLimit == 8, "never above the maximum")
    }
}
