import Foundation

/// A fresh directory under the system temporary directory, removed by `remove()` or on deinit.
///
/// Set `SLUICE_KEEP_TEMP=1` in the environment to keep directories for debugging.
public final class TemporaryDirectory: @unchecked Sendable {
    /// The directory, with symlinks resolved (so paths compare equal to what tools print).
    public let url: URL
    private let lock = NSLock()
    private var removed = false

    /// Creates a new, empty directory named `sluice-<label>-XXXXXX`.
    public init(label: String = "test") throws {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array("\(base)/sluice-\(label)-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let address = buffer.baseAddress else { return false }
            return mkdtemp(address) != nil
        }
        guard created else {
            throw TestSupportError(.systemCall, "mkdtemp in \(base) failed: errno \(errno)")
        }
        let bytes = template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let path = String(decoding: bytes, as: UTF8.self)
        url = URL(fileURLWithPath: path, isDirectory: true).resolvingSymlinksInPath()
    }

    deinit { remove() }

    /// The directory's path.
    public var path: String { url.path }

    /// A URL inside the directory.
    public func appending(_ relativePath: String) -> URL {
        url.appendingPathComponent(relativePath)
    }

    /// Creates (with intermediate directories) and returns a subdirectory.
    @discardableResult
    public func makeSubdirectory(_ relativePath: String) throws -> URL {
        let sub = url.appendingPathComponent(relativePath, isDirectory: true)
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        return sub
    }

    /// Removes the directory and everything in it. Safe to call more than once.
    public func remove() {
        lock.lock()
        defer { lock.unlock() }
        guard !removed else { return }
        removed = true
        if ProcessInfo.processInfo.environment["SLUICE_KEEP_TEMP"] == "1" { return }
        try? FileManager.default.removeItem(at: url)
    }
}
