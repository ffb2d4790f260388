import ArgumentParser
import Foundation
import GitSource
import Synchronization
import SyncEngine

/// `--follow-hooks`: the progress flag of `sluice sync` and `sluice rollback`.
struct ProgressOptions: ParsableArguments {
    @Flag(
        inversion: .prefixedNo,
        help: "Stream each hook's output as it runs, prefixed by the hook's name (default: on when stdout is a terminal; never with --output json).")
    var followHooks: Bool?

    /// The printer for a command whose result is printed as `output`: waits and hooks on stderr in
    /// text, nothing with JSON (stdout is the result, stderr stays quiet).
    func printer(output: OutputFormat) -> ProgressPrinter? {
        guard output == .text else { return nil }
        return ProgressPrinter(followHooks: followHooks ?? Terminal.isTerminal(STDOUT_FILENO), fetchProgress: Terminal.isTerminal(STDERR_FILENO))
    }
}

extension ProgressPrinter {
    /// Fetch progress only (plan, diff): on a terminal, for text output.
    static func fetchOnly(output: OutputFormat) -> ProgressPrinter? {
        guard output == .text, Terminal.isTerminal(STDERR_FILENO) else { return nil }
        return ProgressPrinter(followHooks: false, fetchProgress: true)
    }
}

enum Terminal {
    static func isTerminal(_ descriptor: Int32) -> Bool { isatty(descriptor) == 1 }
}

/// Prints a command's progress on stderr as it happens: the phases, the waits and hooks still going
/// every few seconds, hook output when followed (plain lines, for a terminal and a log alike), and
/// on a terminal how a first fetch advances (one line rewritten in place).
final class ProgressPrinter: Sendable {
    let followHooks: Bool
    let fetchProgress: Bool

    private struct State {
        /// A fetch line is on screen without its newline.
        var openLine = false
        var lastFetchPrint: ContinuousClock.Instant?
        var fetchDone = false
    }
    private let state = Mutex(State())

    init(followHooks: Bool, fetchProgress: Bool) {
        self.followHooks = followHooks
        self.fetchProgress = fetchProgress
    }

    /// The sync's progress, printed here.
    var syncProgress: SyncProgress {
        SyncProgress(followHooks: followHooks) { [self] event in line(event.line) }
    }

    /// Git options that report the fetch here (on a terminal only).
    func gitOptions(_ options: GitSourceOptions) -> GitSourceOptions {
        guard fetchProgress else { return options }
        var options = options
        options.fetchProgress = { [self] progress in fetch(progress) }
        return options
    }

    /// One line on stderr, ending a fetch line left open first.
    func line(_ text: String) {
        state.withLock { state in
            var output = state.openLine ? "\n" : ""
            state.openLine = false
            output += text + "\n"
            FileHandle.standardError.write(Data(output.utf8))
        }
    }

    /// `fetching URL: 1200/5000 objects, 3.1 MiB`, rewritten in place at most ten times a second,
    /// ended with a newline when every object is in.
    func fetch(_ progress: FetchProgress) {
        state.withLock { state in
            let done = progress.totalObjects > 0 && progress.indexedObjects >= progress.totalObjects
            let now = ContinuousClock.now
            if !done, let last = state.lastFetchPrint, now - last < .milliseconds(100) { return }
            if done && state.fetchDone { return }
            state.lastFetchPrint = now
            state.fetchDone = done
            let total = progress.totalObjects > 0 ? "/\(progress.totalObjects)" : ""
            let text = "fetching \(progress.url): \(progress.receivedObjects)\(total) objects, \(Self.size(progress.receivedBytes))"
            state.openLine = !done
            FileHandle.standardError.write(Data(("\r" + text + "\u{1B}[K" + (done ? ", done\n" : "")).utf8))
        }
    }

    static func size(_ bytes: Int) -> String {
        if bytes < 1 << 20 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
        return String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
    }
}
