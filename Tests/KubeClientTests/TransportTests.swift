import Foundation
import KubeModel
import LocalCluster
import Testing
import TestSupport

@testable import KubeClient

/// Trust, authentication, retries, cancellation and the rate limiter.
@Suite struct TransportTests {
    @Test func anUntrustedServerCertificateIsATLSErrorThatNamesTheServer() async throws {
        let fixture = try await ClientFixture()
        defer { Task { await fixture.stop() } }
        let other = try await ClientFixture()
        defer { Task { await other.stop() } }
        let client = ClientFixture.client(for: fixture.cluster, caPEM: other.cluster.caCertificatePEM)
        do {
            _ = try await client.serverVersion()
            Issue.record("an untrusted server was accepted")
        } catch {
            #expect(error.code == .tls)
            #expect(error.message.contains(fixture.cluster.url))
            #expect(error.message.contains("sluice-local-cluster-ca"), "names the issuer of the untrusted certificate: \(error.message)")
            #expect(!error.message.contains(fixture.cluster.token))
        }
    }

    @Test func aWrongTokenIsUnauthorizedAndNeverPrinted() async throws {
        let fixture = try await ClientFixture()
        defer { Task { await fixture.stop() } }
        let client = ClientFixture.client(for: fixture.cluster, token: "secret-token-value")
        do {
            _ = try await client.get(Kinds.configMap, name: "x")
            Issue.record("a wrong token was accepted")
        } catch {
            #expect(error.code == .unauthorized)
            #expect(!error.message.contains("secret-token-value"))
        }
    }

    @Test(arguments: [[429, 429], [503, 429, 503]])
    func overloadedAnswersAreRetriedAfterRetryAfter(_ statuses: [Int]) async throws {
        let server = try await ThrottlingServer.start(statuses: statuses, retryAfter: 1)
        defer { server.stop() }
        let client = KubeClient(server: server.url, settings: TransportSettings(), defaultNamespace: "default", options: .init(), authenticate: { ClusterConnection.RequestAuthentication() })
        let version = try await client.serverVersion()
        #expect(version["gitVersion"] == "v1.36.0-throttling")
        let requests = try server.requests()
        #expect(requests.map(\.status) == statuses + [200])
        for (earlier, later) in zip(requests, requests.dropFirst()) {
            #expect(later.time - earlier.time >= 0.9, "waited for Retry-After")
        }
    }

    @Test func persistentOverloadGivesUpWithATransientError() async throws {
        let server = try await ThrottlingServer.start(statuses: Array(repeating: 503, count: 10))
        defer { server.stop() }
        let client = KubeClient(server: server.url, settings: TransportSettings(), defaultNamespace: "default", options: .init(), authenticate: { ClusterConnection.RequestAuthentication() })
        do {
            _ = try await client.serverVersion()
            Issue.record("a server that keeps failing was reported as answering")
        } catch {
            #expect(error.code == .serverError)
            #expect(error.isTransient)
            #expect(try server.requests().count == 5)
        }
    }

    @Test func cancellingTheTaskCancelsTheTransfer() async throws {
        let server = try await HangingServer.start()
        defer { server.stop() }
        let client = KubeClient(
            server: "http://\(server.address)", settings: TransportSettings(), defaultNamespace: "default", options: .init(), authenticate: { ClusterConnection.RequestAuthentication() })
        let request = Task { try await client.serverVersion() }
        // Generous: under the whole suite the connection has been seen late (over 30 s) on two cores.
        try await server.waitForConnections(1, timeout: .seconds(120))
        request.cancel()
        do {
            _ = try await request.value
            Issue.record("a hanging request returned")
        } catch let error as KubeClientError {
            #expect(error.code == .cancelled)
        }
        // Generous: on a machine loaded by the rest of the suite the hanging server notices late.
        try await waitUntil(timeout: .seconds(90), "the connection is closed") { try server.closedConnections() >= 1 }
    }

    @Test func theRateLimiterAllowsABurstThenPacesRequests() {
        let start = ContinuousClock.now
        let limiter = RateLimiter(qps: 10, burst: 3, now: start)
        #expect(limiter.reserve(now: start) == .zero)
        #expect(limiter.reserve(now: start) == .zero)
        #expect(limiter.reserve(now: start) == .zero)
        let wait = limiter.reserve(now: start)
        #expect(wait > .milliseconds(90) && wait <= .milliseconds(100))
        // A second later the bucket has refilled to its burst, no more.
        let later = start + .seconds(1)
        for _ in 0..<3 { #expect(limiter.reserve(now: later) == .zero) }
        #expect(limiter.reserve(now: later) > .zero)
    }

    @Test func requestsAndWatchesGoOverHTTP2WhenTheServerOffersIt() async throws {
        let fixture = try await ClientFixture()
        defer { Task { await fixture.stop() } }
        let proxy = try await HTTP2Proxy.start(upstream: fixture.cluster.url)
        defer { proxy.stop() }
        let caPEM = try String(contentsOf: proxy.authority.certificatePath, encoding: .utf8)
        let bearer = "Bearer " + fixture.cluster.token
        let client = KubeClient(
            server: proxy.url, settings: TransportSettings(caPEM: caPEM), defaultNamespace: "default", options: .init(),
            authenticate: { ClusterConnection.RequestAuthentication(authorization: bearer) })
        #expect(!client.multiplexes, "nothing is known before the server has answered")
        let response = try await client.transport.send(
            HTTPRequest(method: "GET", url: "/version", headers: [("Accept", "application/json")], timeout: .seconds(60)), idempotent: true, object: "version")
        #expect(response.status == 200)
        #expect(response.headers[":http-version"] == "2")
        #expect(client.multiplexes, "the engine's batches then start at their whole limit")
        // LocalCluster itself speaks HTTP/1.1: its client never multiplexes, and counts the
        // requests it has had in flight at once (the connections open).
        _ = try await fixture.client.serverVersion()
        #expect(!fixture.client.multiplexes)
        #expect(fixture.client.peakRequestsInFlight >= 1)
        // A watch and fifty concurrent writes share the HTTP/2 connection.
        let start = try await client.list(Kinds.configMap, namespace: "default")
        let events = client.watch(Kinds.configMap, namespace: "default", resourceVersion: start.resourceVersion)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<50 { group.addTask { _ = try await client.create(configMap("h2-\(index)")) } }
            try await group.waitForAll()
        }
        var added = Set<String>()
        for try await event in events where event.type == "ADDED" {
            added.insert(event.object.name ?? "")
            if added.count == 50 { break }
        }
        #expect(added.count == 50)
    }

    @Test func manyConcurrentRequestsShareConnections() async throws {
        // 200 requests at once wait their turn at the rate limiter; on a machine loaded by the rest
        // of the suite the last ones can take over a minute, which the default per-request limit counts.
        var options = KubeClient.Options()
        options.requestTimeout = .seconds(180)
        let fixture = try await ClientFixture(options: options)
        defer { Task { await fixture.stop() } }
        let client = fixture.client
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask { _ = try await client.create(configMap("c\(index)")) }
            }
            try await group.waitForAll()
        }
        #expect(try await client.list(Kinds.configMap, namespace: "default").items.count == 200)
        // The most in flight at once: more than one, never past the bound (64 by default).
        #expect((2...64).contains(client.peakRequestsInFlight), "\(client.peakRequestsInFlight)")
    }
}
