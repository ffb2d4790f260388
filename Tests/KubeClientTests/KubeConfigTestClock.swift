import Foundation
import Synchronization

/// A wall clock the test moves by hand.
final class KubeConfigTestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_700_000_000))

    var now: @Sendable () -> Date { { [self] in current.withLock { $0 } } }

    func advance(seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
