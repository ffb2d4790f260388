import CLibCurl
import Foundation
import Synchronization

/// The process's libcurl multi handle, driven by one dedicated thread.
///
/// Every Kubernetes request of the process is a transfer on it, so connections are pooled and
/// reused (and multiplexed over HTTP/2 when the server offers it) however many tasks make
/// requests. Blocking libcurl calls never run on Swift's cooperative pool: tasks hand transfers
/// to the loop and await their completion; cancelling the task removes the transfer.
final class CurlMultiLoop: @unchecked Sendable {
    static let shared = CurlMultiLoop()

    private struct Pending {
        var additions: [Transfer] = []
        var removals: [Transfer] = []
    }

    private let multi: UnsafeMutableRawPointer
    private let pending = Mutex(Pending())
    /// Transfers in flight, by easy handle; touched only on the loop thread.
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]

    private init() {
        _ = sluice_curl_global_init()
        guard let multi = curl_multi_init() else { fatalError("libcurl could not create a multi handle") }
        self.multi = multi
        _ = sluice_curl_multi_setopt_long(multi, CURLMOPT_PIPELINING, sluice_curlpipe_multiplex())
        _ = sluice_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 32)
        _ = sluice_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 64)
        let thread = Thread { [self] in run() }
        thread.name = "sluice-kube-http"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Starts a transfer.
    func add(_ transfer: Transfer) {
        pending.withLock { $0.additions.append(transfer) }
        curl_multi_wakeup(multi)
    }

    /// Stops a transfer; it finishes with a cancellation error.
    func remove(_ transfer: Transfer) {
        pending.withLock { $0.removals.append(transfer) }
        curl_multi_wakeup(multi)
    }

    private func run() {
        var running: Int32 = 0
        while true {
            let work = pending.withLock { pending in
                defer { pending = Pending() }
                return pending
            }
            // A transfer cancelled before the loop saw it is finished, not started.
            let cancelled = Set(work.removals.map { ObjectIdentifier($0) })
            for transfer in work.additions {
                if cancelled.contains(ObjectIdentifier(transfer)) {
                    transfer.finishCancelled()
                    continue
                }
                active[transfer.easy] = transfer
                let code = curl_multi_add_handle(multi, transfer.easy)
                if code != CURLM_OK {
                    active[transfer.easy] = nil
                    transfer.finish(curlCode: CURLE_FAILED_INIT)
                }
            }
            for transfer in work.removals where active.removeValue(forKey: transfer.easy) != nil {
                curl_multi_remove_handle(multi, transfer.easy)
                transfer.finishCancelled()
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
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }
}
