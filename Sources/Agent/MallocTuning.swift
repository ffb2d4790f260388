import CMalloc
import Foundation

/// The agent's settings of glibc's allocator, for a small resident set (issue 18).
///
/// glibc gives threads that contend for the allocator arenas of their own, up to eight per core,
/// and memory freed in one arena is not reused by another: with Dispatch's and NIO's threads the
/// agent's heap spread over a dozen arenas. Two arenas are plenty for an agent that spends its
/// time waiting. Memory freed after a large sync stays in the arenas until trimmed, so the
/// resident set after a 1,000-object apply stayed at its peak; ``trim()`` gives the free pages back
/// once no sync runs. No-ops where the C library is not glibc.
enum MallocTuning {
    /// Caps the number of arenas at two, unless the operator set `MALLOC_ARENA_MAX` (glibc reads it itself).
    static func boundArenas() {
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return }
        _ = sluice_malloc_limit_arenas(2)
    }

    /// Returns the allocator's free pages to the system.
    static func trim() {
        _ = sluice_malloc_trim()
    }
}
