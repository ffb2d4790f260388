import Foundation

extension CurlTransfer {
    /// Sends a request and reads the whole response, blocking the calling thread: for work that
    /// runs on a thread of its own, never on Swift's cooperative pool. ``CurlRequest/shouldStop``
    /// is asked while it waits.
    public static func sendBlocking(_ request: CurlRequest, settings: CurlSettings) throws(CurlError) -> CurlResponse {
        let transfer = try Transfer(request: request, settings: settings)
        let mailbox = Mailbox(transfer: transfer, shouldStop: request.shouldStop)
        transfer.start(mailbox.delivery(streaming: false))
        return try mailbox.response()
    }
}

/// A streaming request read by a thread that blocks for it (libgit2's smart-HTTP stream):
/// the response first, then the body as it arrives. The transfer runs on the shared multi loop
/// from `init`; ``CurlRequest/shouldStop`` is asked while the reader waits, and by libcurl.
///
/// A reader that falls behind pauses the transfer rather than buffering without bound. Dropping
/// the stream before the body's end reads what little is left (up to 64 KiB) so that the
/// connection can be reused, then stops the transfer. Not `Sendable`: one reader.
public final class CurlBlockingStream {
    private let transfer: Transfer
    private let mailbox: Mailbox

    public init(_ request: CurlRequest, settings: CurlSettings) throws(CurlError) {
        transfer = try Transfer(request: request, settings: settings)
        mailbox = Mailbox(transfer: transfer, shouldStop: request.shouldStop)
        transfer.start(mailbox.delivery(streaming: true))
    }

    deinit {
        mailbox.drain()
    }

    /// Waits for the response: a 200's status and headers (its body is read with
    /// ``read(into:)``), or any other status with its whole body.
    public func response() throws(CurlError) -> CurlResponse {
        try mailbox.response()
    }

    /// How many times the transfer has been paused so far because the reader fell behind (more than
    /// 1 MiB unread).
    public var pauses: Int { mailbox.pauses }

    /// Waits for body bytes and copies up to `buffer.count` of them; 0 at the end of the body.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(CurlError) -> Int {
        try mailbox.read(into: buffer)
    }
}

/// What a transfer delivers to a waiting thread, guarded by a condition variable. The loop's
/// thread fills it; the reader's thread waits on it.
final class Mailbox: @unchecked Sendable {
    /// Unread bytes above which the transfer is paused.
    private static let pauseThreshold = 1 << 20
    /// What is read and thrown away after the reader is gone, before the transfer is stopped.
    private static let drainLimit = 64 << 10

    private let transfer: Transfer
    private let shouldStop: (@Sendable () -> Bool)?
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var head: Result<CurlResponse, CurlError>?
    private var unread: [UInt8] = []
    private var offset = 0
    private var ended = false
    private var failure: CurlError?
    private var paused = false
    private var pauseCount = 0
    private var draining = false
    private var drained = 0
    private var stopRequested = false

    init(transfer: Transfer, shouldStop: (@Sendable () -> Bool)?) {
        self.transfer = transfer
        self.shouldStop = shouldStop
    }

    func delivery(streaming: Bool) -> Delivery {
        var delivery = Delivery(response: { [self] result in receive(result, ends: !streaming) })
        if streaming {
            delivery.chunk = { [self] bytes in take(bytes) }
            delivery.end = { [self] failure in finish(failure) }
        }
        return delivery
    }

    private func receive(_ result: Result<CurlResponse, CurlError>, ends: Bool) {
        locked {
            head = result
            if ends { ended = true }
        }
    }

    private func finish(_ failure: CurlError?) {
        locked {
            ended = true
            self.failure = failure
        }
    }

    private func locked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return try body()
    }

    private func take(_ bytes: UnsafeRawBufferPointer) -> Delivery.ChunkAnswer {
        locked {
            if draining {
                drained += bytes.count
                return drained <= Self.drainLimit ? .accepted : .stop
            }
            if unread.count - offset >= Self.pauseThreshold {
                paused = true
                pauseCount += 1
                return .pause
            }
            unread.append(contentsOf: bytes)
            return .accepted
        }
    }

    /// Waits (holding the lock) until `ready`, asking `shouldStop` every 100 ms; once it says
    /// stop, the transfer is removed and ends cancelled.
    private func wait(until ready: () -> Bool) {
        while !ready() {
            if !stopRequested, let shouldStop, shouldStop() {
                stopRequested = true
                CurlMultiLoop.shared.remove(transfer)
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1))
        }
    }

    var pauses: Int { locked { pauseCount } }

    func response() throws(CurlError) -> CurlResponse {
        try locked { () throws(CurlError) -> CurlResponse in
            wait { head != nil }
            guard let head else { throw CurlError.cancelled(transfer.easy.url) }
            return try head.get()
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(CurlError) -> Int {
        let (count, resume) = try locked { () throws(CurlError) -> (Int, Bool) in
            wait { offset < unread.count || ended }
            let available = unread.count - offset
            if available == 0 {
                if let failure { throw failure }
                if case .failure(let error)? = head { throw error }
                return (0, false)
            }
            let count = min(available, buffer.count)
            unread.withUnsafeBytes { raw in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + count]))
            }
            offset += count
            if offset == unread.count {
                unread.removeAll(keepingCapacity: true)
                offset = 0
            } else if offset >= Self.pauseThreshold {
                unread.removeFirst(offset)
                offset = 0
            }
            let resume = paused && unread.count - offset < Self.pauseThreshold / 2
            if resume { paused = false }
            return (count, resume)
        }
        if resume { CurlMultiLoop.shared.resume(transfer) }
        return count
    }

    /// The reader is gone: throw away what is left of the body, up to the drain limit, so that
    /// the connection stays reusable; stop the transfer if it does not end by then.
    func drain() {
        let resume = locked { () -> Bool in
            draining = true
            unread = []
            offset = 0
            defer { paused = false }
            return paused
        }
        if resume { CurlMultiLoop.shared.resume(transfer) }
        locked { wait { ended } }
    }
}
