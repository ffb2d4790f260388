import CLibGit2
import Foundation

/// Memory limits handed to libgit2 once per process, so a large repository does not inflate the agent.
public struct GitMemoryLimits: Sendable {
    /// Size of one pack window mapped at a time (libgit2's default is 1 GiB on 64-bit).
    public var mmapWindowSize: Int = 32 << 20
    /// Total of mapped pack windows before libgit2 unmaps old ones (default 8 GiB).
    public var mappedLimit: Int = 256 << 20
    /// Most pack files kept open.
    public var mappedFileLimit: Int = 64
    /// Object cache size (default 256 MiB).
    public var objectCacheSize: Int = 32 << 20

    /// The defaults Sluice uses.
    public init() {}
}

/// Process-wide libgit2 set-up and error translation.
enum LibGit2 {
    private static let setUp: Void = {
        git_libgit2_init()
        let limits = GitMemoryLimits()
        _ = sluice_git_set_mwindow_size(limits.mmapWindowSize)
        _ = sluice_git_set_mwindow_mapped_limit(limits.mappedLimit)
        _ = sluice_git_set_mwindow_file_limit(limits.mappedFileLimit)
        _ = sluice_git_set_cache_max_size(limits.objectCacheSize)
        // Mirrors live in the agent's state directory; ownership checks meant for work trees
        // shared between users would only get in the way of a container running as another uid.
        _ = sluice_git_set_owner_validation(0)
        CurlSmartTransport.register()
    }()

    /// Initialises libgit2 once; every entry point calls this first.
    static func ensureInitialized() { _ = setUp }

    /// Turns a libgit2 return code into an error, reading libgit2's thread-local last error now.
    static func error(_ code: Int32, _ what: String, context: OperationContext? = nil) -> GitSourceError {
        let last = git_error_last()
        let detail = last.flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "libgit2 error \(code)"
        let klass = last.map { Int32($0.pointee.klass) } ?? 0
        if let recorded = context?.takeRecordedError() {
            return GitSourceError(recorded.code, "\(what): \(recorded.message)")
        }
        let message = RepositoryURL.redact("\(what): \(detail)")
        let lower = detail.lowercased()
        // When we stopped the operation ourselves, that is the story, whatever libgit2 saw after.
        if let context, context.isCancelled {
            return GitSourceError(.cancelled, "\(what): cancelled")
        }
        if let context, context.deadlinePassed {
            return GitSourceError(.timeout, "\(what): no answer within \(context.timeoutDescription) (\(RepositoryURL.redact(detail)))")
        }
        switch code {
        case GIT_EAUTH.rawValue:
            return GitSourceError(.authentication, message)
        case GIT_ECERTIFICATE.rawValue:
            return GitSourceError(.untrusted, message)
        case GIT_ENOTFOUND.rawValue:
            return GitSourceError(.notFound, message)
        default: break
        }
        if lower.contains("authenticat") || lower.contains("permission denied") || lower.contains("username/publickey")
            || lower.contains("unauthorized") || lower.contains("credentials") {
            return GitSourceError(.authentication, message)
        }
        if lower.contains("not found") || lower.contains("no such repository") || lower.contains("does not appear to be a git repository")
            || lower.contains("not exported") || lower.contains("no such file") || lower.contains("could not find repository") {
            return GitSourceError(.notFound, message)
        }
        if lower.contains("host key") || lower.contains("certificate") {
            return GitSourceError(.untrusted, message)
        }
        if klass == GIT_ERROR_NET.rawValue || klass == GIT_ERROR_SSH.rawValue || klass == GIT_ERROR_HTTP.rawValue
            || klass == GIT_ERROR_OS.rawValue && (lower.contains("connect") || lower.contains("socket")) {
            return GitSourceError(.network, message)
        }
        return GitSourceError(.other, message)
    }

    /// Formats a libgit2 object id as 40 lower-case hex digits.
    static func hex(_ oid: git_oid) -> String {
        withUnsafeBytes(of: oid.id) { raw in
            raw.map { byte in
                let s = String(byte, radix: 16)
                return byte < 16 ? "0" + s : s
            }.joined()
        }
    }

    /// Parses 40 hex digits into an object id.
    static func oid(_ hex: String) -> git_oid? {
        var oid = git_oid()
        guard hex.utf8.count == 40, git_oid_fromstr(&oid, hex) == 0 else { return nil }
        return oid
    }
}

/// Calls `body` with a libgit2 string array built from `strings`.
func withGitStrArray<R>(_ strings: [String], _ body: (UnsafeMutablePointer<git_strarray>) throws -> R) rethrows -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    return try pointers.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: strings.count)
        return try body(&array)
    }
}

/// libgit2's one-time set-up, started early.
public enum GitLibrary {
    /// Starts libgit2's opening and set-up on a thread of its own and returns at once; the first
    /// Git operation waits for it to finish (a `static let` is initialised once, and other threads
    /// wait for it).
    ///
    /// libgit2 is opened on first use, not at exec (CDynamicLibrary): mapping it and the libraries
    /// it needs (mbed TLS, libssh2, ...) is part of this. The set-up costs a one-shot command about
    /// 6 ms of CPU more, most of it libgit2 parsing the system's CA bundle with mbedTLS, which
    /// Debian's libgit2 does unconditionally. Started while the command line is parsed and the
    /// ledger opened, it is off the command's critical path on a machine with a second core.
    public static func prepareInBackground() {
        Thread.detachNewThread { LibGit2.ensureInitialized() }
    }

    /// Opens and sets up libgit2 now, on this thread, if it is not yet: for a caller that times what
    /// follows (a test of a one-second deadline) and must not count the opening in it.
    public static func prepare() {
        LibGit2.ensureInitialized()
    }
}
