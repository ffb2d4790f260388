import Foundation
import TestSupport

/// Runs the built `sluice` binary the way a user would.
enum CLI {
    /// `sluice` next to the test bundle (`.build/<triple>/debug/`), or `$SLUICE_BINARY`.
    static func binary() throws -> String {
        if let override = ProcessInfo.processInfo.environment["SLUICE_BINARY"] { return override }
        var candidates: [URL] = []
        let bundle = Bundle.main.bundleURL
        candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("sluice"))
        candidates.append(bundle.appendingPathComponent("sluice"))
        let argv0 = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        for ancestor in sequence(first: argv0.deletingLastPathComponent(), next: { $0.path == "/" ? nil : $0.deletingLastPathComponent() }) {
            candidates.append(ancestor.appendingPathComponent("sluice"))
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) && !$0.hasDirectoryPath }) else {
            throw TestSupportError(.invalidArgument, "the sluice binary was not found next to the tests; build it or set SLUICE_BINARY")
        }
        return found.path
    }

    /// Runs `sluice ARGS` with a deadline and returns what it printed and its exit code.
    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)) async throws -> ProcessResult {
        try await ProcessRunner.runAsync(try binary(), arguments, environment: environment, timeout: timeout)
    }
}
