import Foundation
import Synchronization

/// A wall clock (`Date`) the test moves by hand, for code that takes `now: () -> Date` (the
/// ledger's timestamps, credential expiry): times come out exact. ``ManualClock`` is its
/// counterpart for code that sleeps on an injected `Clock`.
public final class ManualWallClock: Sendable {
    private let current: Mutex<Date>

    /// Starts at `start` (2023-11-14T22:13:20Z by default).
    public init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        current = Mutex(start)
    }

    /// The clock as a function, to inject.
    public var now: @Sendable () -> Date {
        { self.current.withLock { $0 } }
    }

    /// Moves the clock on by `seconds`.
    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
