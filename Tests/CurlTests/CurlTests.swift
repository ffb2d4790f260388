import Curl
import Foundation
import Synchronization
import Testing
import TestSupport

/// Runs blocking Curl calls on a thread of their own, as GitSource does, never on the cooperative pool.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws(CurlError) -> T) async -> Result<T, CurlError> {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(returning: Result { () throws(CurlError) -> T in try body() })
        }
    }
}

/// A stop switch for ``CurlRequest/shouldStop``.
final class StopSwitch: Sendable {
    private let flag = Atomic<Bool>(false)
    func flip() { flag.store(true, ordering: .sequentiallyConsistent) }
    var isOn: Bool { flag.load(ordering: .sequentiallyConsistent) }
}

@Suite("Deadlines end hanging transfers")
struct CurlDeadlineTests {
    @Test("a time limit, a deadline, and a blocking call each end a transfer to a silent server")
    func silentServer() async throws {
        let server = try await HangingServer.start()
        defer { server.stop() }
        let url = server.url(scheme: "http", path: "/silent")
        // Without its limit each transfer would wait forever; the bounds below are generous
        // because a parallel run of the whole suite on two cores delays everything many times over.
        let bound = Duration.seconds(90)
        let start = ContinuousClock.now
        do {
            _ = try await CurlTransfer.send(CurlRequest(url: url, timeout: .seconds(1)), settings: CurlSettings())
            Issue.record("a silent server answered")
        } catch {
            #expect(error.kind == .timeout, "\(error)")
        }
        #expect(ContinuousClock.now - start < bound)

        let deadline = ContinuousClock.now + .seconds(1)
        do {
            _ = try await CurlTransfer.stream(CurlRequest(url: url, deadline: deadline), settings: CurlSettings())
            Issue.record("a silent server answered")
        } catch {
            #expect(error.kind == .timeout, "\(error)")
        }
        #expect(ContinuousClock.now - deadline < bound)

        let blocking = await onThread { () throws(CurlError) -> CurlResponse in
            try CurlTransfer.sendBlocking(CurlRequest(url: url, deadline: .now + .seconds(1)), settings: CurlSettings())
        }
        #expect(throws: CurlError.self) { try blocking.get() }
        if case .failure(let error) = blocking { #expect(error.kind == .timeout, "\(error)") }
        #expect(try server.acceptedConnections() >= 3)
    }

    @Test("a stream that stalls is given up after its stall limit, though it has no time limit")
    func stalledStream() async throws {
        let server = try await HangingServer.start()
        defer { server.stop() }
        let result = await onThread { () throws(CurlError) -> CurlResponse in
            let stream = try CurlBlockingStream(
                CurlRequest(url: server.url(scheme: "http", path: "/silent")), settings: CurlSettings(stallTimeout: .seconds(1)))
            return try stream.response()
        }
        if case .failure(let error) = result { #expect(error.kind == .timeout, "\(error)") } else { Issue.record("a silent server answered") }
    }
}

@Suite("Cancellation stops transfers")
struct CurlCancellationTests {
    @Test("cancelling the task stops a stream before its head and after, and the server sees the connection go")
    func cancellingTheTask() async throws {
        let hanging = try await HangingServer.start()
        defer { hanging.stop() }
        let opening = Task { try await CurlTransfer.stream(CurlRequest(url: hanging.url(scheme: "http", path: "/watch")), settings: CurlSettings()) }
        // Generous, as the KubeClient's equivalent: early in a full run the suite's other tests hold
        // the machine and the test process's threads (seen once: no connection within 30 s).
        try await hanging.waitForConnections(1, timeout: .seconds(120))
        opening.cancel()
        do {
            _ = try await opening.value
            Issue.record("a cancelled stream opened")
        } catch let error as CurlError {
            #expect(error.kind == .cancelled)
        }
        try await waitUntil(timeout: .seconds(60), "the connection is closed") { try hanging.closedConnections() >= 1 }

        let server = try await StreamingServer.start()
        defer { server.stop() }
        let (head, chunks) = try await CurlTransfer.stream(CurlRequest(url: server.url + "/trickle"), settings: CurlSettings())
        #expect(head.status == 200)
        // Cancelling the iterating task ends the iteration (AsyncThrowingStream returns nil) and
        // terminates the stream, which stops the transfer.
        let firstChunk = Mutex(false)
        let reader = Task {
            var received: [UInt8] = []
            do {
                for try await chunk in chunks {
                    received += chunk
                    firstChunk.withLock { $0 = true }
                }
            } catch is CancellationError {}
            return String(decoding: received, as: UTF8.self)
        }
        try await waitUntil(timeout: .seconds(60), "the first tick arrives") { firstChunk.withLock { $0 } }
        reader.cancel()
        let text = try await reader.value
        #expect(text.hasPrefix("tick 0\n"), "received \(text)")
        try await waitUntil(timeout: .seconds(60), "the server sees the stream abandoned") { try server.abandonedStreams() >= 1 }
    }

    @Test("shouldStop stops a blocking stream mid-body, through libcurl's progress callback and the waiting reader")
    func shouldStop() async throws {
        let server = try await StreamingServer.start()
        defer { server.stop() }
        let stop = StopSwitch()
        let result = await onThread { () throws(CurlError) -> Int in
            let stream = try CurlBlockingStream(
                CurlRequest(url: server.url + "/trickle", shouldStop: { stop.isOn }), settings: CurlSettings())
            #expect(try stream.response().status == 200)
            var buffer = [UInt8](repeating: 0, count: 1024)
            var total = 0
            while true {
                let count = try buffer.withUnsafeMutableBytes { raw in Result { () throws(CurlError) in try stream.read(into: raw) } }.get()
                if count == 0 { return total }
                total += count
                if total > 20 { stop.flip() }
            }
        }
        guard case .failure(let error) = result else {
            Issue.record("a stopped stream ended normally: \(result)")
            return
        }
        #expect(error.kind == .cancelled)
        try await waitUntil(timeout: .seconds(60), "the server sees the stream abandoned") { try server.abandonedStreams() >= 1 }
    }
}

@Suite("Blocking streams")
struct CurlBlockingStreamTests {
    @Test("a reader that falls behind pauses the transfer and still gets every byte in order")
    func slowReader() async throws {
        let server = try await StreamingServer.start()
        defer { server.stop() }
        let size = 8 << 20
        let result = await onThread { () throws(CurlError) -> (Int, Int?) in
            let stream = try CurlBlockingStream(CurlRequest(url: server.url + "/bytes/\(size)"), settings: CurlSettings())
            #expect(try stream.response().status == 200)
            // Let the transfer run ahead of the reader until it must pause.
            let deadline = ContinuousClock.now + .seconds(60)
            while stream.pauses == 0 && ContinuousClock.now < deadline { usleep(5_000) }
            #expect(stream.pauses >= 1, "the transfer never paused for the reader")
            var buffer = [UInt8](repeating: 0, count: 16 << 10)
            var total = 0
            var mismatch: Int?
            while true {
                let count = try buffer.withUnsafeMutableBytes { raw in Result { () throws(CurlError) in try stream.read(into: raw) } }.get()
                if count == 0 { return (total, mismatch) }
                for index in 0..<count where mismatch == nil && buffer[index] != StreamingServer.byte(at: total + index) {
                    mismatch = total + index
                }
                total += count
            }
        }
        let (total, mismatch) = try result.get()
        #expect(total == size)
        #expect(mismatch == nil)
    }

    @Test("a response other than 200 comes whole, with no body to read")
    func notFound() async throws {
        let server = try await StreamingServer.start()
        defer { server.stop() }
        let result = await onThread { () throws(CurlError) -> (Int, Int, Int) in
            let stream = try CurlBlockingStream(CurlRequest(url: server.url + "/missing"), settings: CurlSettings())
            let head = try stream.response()
            var buffer = [UInt8](repeating: 0, count: 1024)
            let read = try buffer.withUnsafeMutableBytes { raw in Result { () throws(CurlError) in try stream.read(into: raw) } }.get()
            return (head.status, head.body.count, read)
        }
        let (status, bodySize, read) = try result.get()
        #expect(status == 404)
        #expect(bodySize > 0)
        #expect(read == 0)
    }
}

@Suite("Errors and redirects")
struct CurlErrorTests {
    @Test("credentials in the URL, the proxy URL or the settings never appear in an error")
    func credentialsNeverAppear() async throws {
        let refusing = try Loopback.refusingPort()
        let port = refusing.port
        defer { withExtendedLifetime(refusing) {} }
        let secrets = ["hunter2-secret", "proxy-secret", "basic-secret", "token-secret", "url-token-secret"]
        var failures: [CurlError] = []
        let requests: [(String, CurlSettings)] = [
            ("http://deploy:hunter2-secret@127.0.0.1:\(port)/repo.git", CurlSettings()),
            ("http://url-token-secret@127.0.0.1:\(port)/repo.git", CurlSettings()),
            ("http://127.0.0.1:\(port)/x", CurlSettings(authentication: .basic(username: "deploy", password: "basic-secret"))),
            ("http://127.0.0.1:\(port)/x", CurlSettings(authentication: .bearer(token: "token-secret"))),
            ("http://example.invalid/x", CurlSettings(proxyURL: "http://proxyuser:proxy-secret@127.0.0.1:\(port)")),
        ]
        for (url, settings) in requests {
            do {
                _ = try await CurlTransfer.send(CurlRequest(url: url, timeout: .seconds(10)), settings: settings)
                Issue.record("\(url) answered")
            } catch {
                failures.append(error)
            }
        }
        #expect(failures.count == requests.count)
        for failure in failures {
            #expect(failure.kind == .connect, "\(failure)")
            let shown = "\(failure) \(failure.message) \(failure.url) \(String(reflecting: failure))"
            for secret in secrets { #expect(!shown.contains(secret), "\(shown)") }
        }
        #expect(failures[0].url == "http://127.0.0.1:\(port)/repo.git")
        for (url, settings) in requests {
            let request = CurlRequest(url: url, headers: [("Authorization", "Bearer token-secret")])
            let shown = "\(request) \(String(reflecting: request)) \(settings) \(String(reflecting: settings))"
            for secret in secrets { #expect(!shown.contains(secret), "\(shown)") }
        }
        #expect(CurlURL.withoutCredentials("https://a:b@host:6443/api") == "https://host:6443/api")
    }

    @Test("redirects are followed only when asked, and only to http(s)")
    func redirects() async throws {
        let server = try await StreamingServer.start()
        defer { server.stop() }
        let refused = try await CurlTransfer.send(CurlRequest(url: server.url + "/redirect-to-bytes"), settings: CurlSettings())
        #expect(refused.status == 302)
        let followed = try await CurlTransfer.send(
            CurlRequest(url: server.url + "/redirect-to-bytes"), settings: CurlSettings(redirects: .follow(maximum: 5)))
        #expect(followed.status == 200)
        #expect(followed.body == (0..<10).map { StreamingServer.byte(at: $0) })
        do {
            let response = try await CurlTransfer.send(
                CurlRequest(url: server.url + "/redirect-to-file"), settings: CurlSettings(redirects: .follow(maximum: 5)))
            Issue.record("a redirect to file:// was followed: \(response.status)")
        } catch {
            #expect(error.kind == .other)
        }
    }

    @Test("the version names libcurl")
    func version() {
        #expect(CurlLibrary.version.hasPrefix("libcurl/"))
    }
}
