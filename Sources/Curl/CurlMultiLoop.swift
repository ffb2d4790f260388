import CLibCurl
import Foundation
import Synchronization

/// The process's libcurl multi handle, driven by one dedicated thread.
///
/// Every HTTP request of the process (Kubernetes API calls, Git's smart HTTP) is a transfer on
/// it, so connections are pooled and reused (and multiplexed over HTTP/2 when the server offers
/// it) however many tasks and threads make requests. Blocking libcurl calls never run on Swift's
/// cooperative pool: callers hand transfers to the loop and await (or wait for) their completion;
/// stopping a transfer removes it.
final class CurlMultiLoop: @unchecked Sendable {
    static let shared = CurlMultiLoop()

    private struct Pending {
        var additions: [Transfer] = []
        var removals: [Transfer] = []
        var resumptions: [Transfer] = []
    }

    private let multi: UnsafeMutableRawPointer?
    private let pending = Mutex(Pending())
    /// Transfers in flight, by easy handle; touched only on the loop thread.
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]

    private init() {
        CurlLibrary.initialize()
        multi = curl_multi_init()
        guard let multi else { return }
        _ = sluice_curl_multi_setopt_long(multi, CURLMOPT_PIPELINING, sluice_curlpipe_multiplex())
        _ = sluice_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 32)
        _ = sluice_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 64)
        let thread = Thread { [self] in run() }
        thread.name = "sluice-curl"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Starts a transfer.
    func add(_ transfer: Transfer) {
        guard let multi else {
            transfer.finish(curlCode: CURLE_FAILED_INIT)
            return
        }
        pending.withLock { $0.additions.append(transfer) }
        curl_multi_wakeup(multi)
    }

    /// Stops a transfer; it finishes with a cancellation error (unless it already finished).
    func remove(_ transfer: Transfer) {
        guard let multi else { return }
        transfer.stopRequested.store(true, ordering: .sequentiallyConsistent)
        pending.withLock { $0.removals.append(transfer) }
        curl_multi_wakeup(multi)
    }

    /// Resumes a transfer its receiver paused.
    func resume(_ transfer: Transfer) {
        guard let multi else { return }
        pending.withLock { $0.resumptions.append(transfer) }
        curl_multi_wakeup(multi)
    }

    private func run() {
        guard let multi else { return }
        var running: Int32 = 0
        while true {
            let work = pending.withLock { pending in
                defer { pending = Pending() }
                return pending
            }
            for transfer in work.additions {
                if transfer.stopRequested.load(ordering: .sequentiallyConsistent) {
                    transfer.finishCancelled()
                    continue
                }
                active[transfer.easy.pointer] = transfer
                let code = curl_multi_add_handle(multi, transfer.easy.pointer)
                if code != CURLM_OK {
                    active[transfer.easy.pointer] = nil
                    transfer.finish(curlCode: CURLE_FAILED_INIT)
                }
            }
            for transfer in work.removals where active.removeValue(forKey: transfer.easy.pointer) != nil {
                curl_multi_remove_handle(multi, transfer.easy.pointer)
                transfer.finishCancelled()
            }
            for transfer in work.resumptions where active[transfer.easy.pointer] != nil {
                _ = sluice_curl_unpause(transfer.easy.pointer)
            }
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let result = message.pointee.data.result
                if let transfer = active.removeValue(forKey: easy) {
                    curl_multi_remove_handle(multi, easy)
                    transfer.finish(curlCode: result)
                }
            }
            // Wakes at least every second so progress callbacks see a caller's stop request.
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }
}
