import Synchronization

/// A clock that moves only when the test says so, for code that takes an injected
/// `any Clock<Duration>`: its sleepers wake when ``advance(by:)`` passes their deadline.
///
/// ``waitForSleepers(_:timeout:)`` waits until the code under test is asleep, so a test can
/// look at what it decided (``sleeps``) before moving time on.
public final class ManualClock: Clock, Sendable {
    /// A point on the test's time line: the time advanced since the clock was made.
    public struct Instant: InstantProtocol {
        public var offset: Duration

        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (left: Instant, right: Instant) -> Bool { left.offset < right.offset }
    }

    private struct Sleeper {
        var deadline: Instant
        var requested: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID = 0
        var sleepers: [Int: Sleeper] = [:]
        /// How long each sleep asked for, in order, including those already over.
        var history: [Duration] = []
    }

    private let state = Mutex(State())

    public init() {}

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .zero }

    /// Every sleep asked for so far (its length from the time it started), oldest first.
    public var sleeps: [Duration] { state.withLock { $0.history } }

    /// How many sleepers are waiting now.
    public var sleeping: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state -> Int in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.history.append(state.now.duration(to: deadline))
                    if deadline <= state.now { return .success(()) }
                    state.sleepers[id] = Sleeper(deadline: deadline, requested: state.now.duration(to: deadline), continuation: continuation)
                    return nil
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time on by `duration`, waking every sleeper whose deadline it reaches.
    public func advance(by duration: Duration) {
        let woken = state.withLock { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let due = state.sleepers.filter { $0.value.deadline <= state.now }
            for id in due.keys { state.sleepers[id] = nil }
            return Array(due.values)
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    /// Waits (in real time, up to `timeout`) until `count` sleepers wait on this clock.
    public func waitForSleepers(_ count: Int = 1, timeout: Duration = .seconds(60)) async throws {
        try await waitUntil(timeout: timeout, "\(count) sleeper(s) on the test clock") { self.sleeping >= count }
    }
}
