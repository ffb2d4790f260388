import NIOConcurrencyHelpers

/// The webhook deliveries accepted lately, by the id their forge gives each (GitHub's
/// `X-GitHub-Delivery`, ...), so a delivery sent again (a forge's retry or redelivery, or someone
/// replaying a captured request) triggers nothing the second time.
///
/// An id is remembered for `window` (an hour), and at most `capacity` ids (10,000) at once: past
/// that the oldest are forgotten first, so a flood of signed deliveries costs bounded memory.
final class DeliveryLog: Sendable {
    /// How long an id is remembered.
    let window: Duration
    /// The most ids remembered at once.
    let capacity: Int
    /// The longest id remembered; a longer one is not (its delivery is handled as one without id).
    static let maxIDLength = 256

    private struct State {
        /// When each remembered id was accepted.
        var seen: [String: ContinuousClock.Instant] = [:]
        /// The same, oldest first; entries before `start` are gone.
        var order: [(id: String, at: ContinuousClock.Instant)] = []
        var start = 0
    }

    private let state = NIOLockedValueBox(State())

    /// A log remembering ids for `window`, at most `capacity` of them.
    init(window: Duration = .seconds(3600), capacity: Int = 10_000) {
        self.window = window
        self.capacity = max(1, capacity)
    }

    /// Records the delivery `id`; false when it was already accepted within the window (a
    /// duplicate). Checked and recorded at once, so of two identical deliveries arriving together
    /// one is the duplicate.
    func accept(_ id: String, now: ContinuousClock.Instant = .now) -> Bool {
        guard id.utf8.count <= Self.maxIDLength else { return true }
        return state.withLockedValue { state in
            forgetOld(&state, now: now)
            if let at = state.seen[id], now - at < window { return false }
            state.seen[id] = now
            state.order.append((id, now))
            forgetOld(&state, now: now)
            return true
        }
    }

    /// How many ids are remembered now.
    var count: Int { state.withLockedValue { $0.seen.count } }

    /// Forgets the ids older than the window, and the oldest while there are more than `capacity`.
    private func forgetOld(_ state: inout State, now: ContinuousClock.Instant) {
        while state.start < state.order.count {
            let oldest = state.order[state.start]
            guard now - oldest.at >= window || state.seen.count > capacity else { break }
            if state.seen[oldest.id] == oldest.at { state.seen[oldest.id] = nil }
            state.start += 1
        }
        // Drop the forgotten prefix once it is most of the array, so the array stays within twice the ids kept.
        if state.start > 64, state.start * 2 > state.order.count {
            state.order.removeFirst(state.start)
            state.start = 0
        }
    }
}
