/// Requests on the process's shared libcurl multi loop, for async callers.
///
/// Cancelling the calling task stops the transfer. Callers on a thread of their own that must
/// block (libgit2's callbacks) use ``CurlTransfer/sendBlocking(_:settings:)`` and
/// ``CurlBlockingStream`` instead.
public enum CurlTransfer {
    /// Sends a request and reads the whole response, whatever its status.
    public static func send(_ request: CurlRequest, settings: CurlSettings) async throws(CurlError) -> CurlResponse {
        let transfer = try Transfer(request: request, settings: settings)
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<CurlResponse, CurlError>, Never>) in
                transfer.start(Delivery(response: { continuation.resume(returning: $0) }))
            }
        } onCancel: {
            CurlMultiLoop.shared.remove(transfer)
        }
        return try result.get()
    }

    /// Opens a streaming request (a watch, a followed log). A 200 returns as soon as its headers
    /// are in, with the body's chunks to come; any other status returns with its whole body and
    /// no chunks. The chunks end with a ``CurlError`` when the transfer fails, and with a
    /// `CancellationError` when it is stopped; ending their iteration stops the transfer.
    public static func stream(
        _ request: CurlRequest, settings: CurlSettings
    ) async throws(CurlError) -> (CurlResponse, AsyncThrowingStream<[UInt8], any Error>) {
        let transfer = try Transfer(request: request, settings: settings)
        let (chunks, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        continuation.onTermination = { _ in CurlMultiLoop.shared.remove(transfer) }
        let head = await withTaskCancellationHandler {
            await withCheckedContinuation { (status: CheckedContinuation<Result<CurlResponse, CurlError>, Never>) in
                transfer.start(Delivery(
                    response: { status.resume(returning: $0) },
                    chunk: { bytes in
                        continuation.yield(Array(bytes))
                        return .accepted
                    },
                    end: { failure in
                        if let failure {
                            if failure.kind == .cancelled {
                                continuation.finish(throwing: CancellationError())
                            } else {
                                continuation.finish(throwing: failure)
                            }
                        } else {
                            continuation.finish()
                        }
                    }))
            }
        } onCancel: {
            CurlMultiLoop.shared.remove(transfer)
        }
        return (try head.get(), chunks)
    }
}
