import Foundation

/// Polls `condition` until it returns true; throws ``TestSupportError`` (`.deadlineExceeded`)
/// when `timeout` passes first.
///
/// - Parameters:
///   - timeout: how long to keep trying.
///   - poll: the pause between attempts.
///   - description: what is being waited for, quoted in the error.
///   - condition: checked once at once, then after each pause. Errors it throws propagate.
public func waitUntil(
    timeout: Duration = .seconds(10),
    poll: Duration = .milliseconds(20),
    _ description: @autoclosure () -> String = "condition",
    condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if try await condition() { return }
        if clock.now >= deadline {
            throw TestSupportError(
                .deadlineExceeded, "\(description()) not met within \(timeout)")
        }
        try await Task.sleep(for: poll)
    }
}
