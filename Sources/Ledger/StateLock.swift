import KubeModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive advisory lock on a file in the state directory (`flock`), held until released or
/// the process ends (so a killed process never leaves a stale lock).
///
/// Two kinds are used: `STATE/agent.lock`, held by a running agent for its lifetime so that a
/// second agent cannot run on the same state; and `STATE/locks/APP.lock`, held by whoever syncs an
/// application (the agent, `sluice sync`, `sluice rollback`) for the length of the sync, so that two
/// processes never sync one application at once, and an attempt left `Running` with its lock free
/// is known to be dead.
public final class StateLock: @unchecked Sendable {
    private let descriptor: Int32
    private let released = NSLock()
    private var isReleased = false
    /// The lock file.
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { release() }

    /// The lock file of the agent of `stateDirectory`.
    public static func agentPath(stateDirectory: String) -> String {
        (stateDirectory as NSString).appendingPathComponent("agent.lock")
    }

    /// The lock file of syncs of `app` in `stateDirectory`.
    public static func syncPath(stateDirectory: String, app: String) -> String {
        let safe = String(app.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
        return (stateDirectory as NSString).appendingPathComponent("locks/\(safe).lock")
    }

    /// Takes the lock now, writing `holder` (say, `pid 42: sluice agent`) into the file for others'
    /// messages; `nil` when someone else holds it.
    ///
    /// - Throws: ``LedgerError`` when the file cannot be created.
    public static func tryLock(_ path: String, holder: String) throws -> StateLock? {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw LedgerError(.cannotOpen, "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        let text = Array("\(holder)\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return StateLock(descriptor: descriptor, path: path)
    }

    /// Waits until the lock is free and takes it (checking every 100 ms); `waiting` is called once,
    /// with the holder's note, when the lock is taken by someone else at first.
    public static func lock(_ path: String, holder: String, waiting: (String) -> Void = { _ in }) async throws -> StateLock {
        var told = false
        while true {
            if let lock = try tryLock(path, holder: holder) { return lock }
            if !told {
                waiting(Self.holder(path) ?? "holder unknown")
                told = true
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// What the holder of the lock wrote, for messages (`pid 42: sluice agent`); `nil` when unknown.
    public static func holder(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// Gives the lock up; safe to call more than once.
    public func release() {
        released.lock()
        defer { released.unlock() }
        guard !isReleased else { return }
        isReleased = true
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
