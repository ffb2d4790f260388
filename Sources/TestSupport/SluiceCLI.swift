import Foundation

/// The built `sluice` executable, for command-line tests.
///
/// `swift test` puts the test bundle next to the products it built (`.build/debug/`), so the
/// executable is looked up beside the running test binary; `SLUICE_BINARY` overrides that.
public struct SluiceCLI: Sendable {
    /// The executable.
    public let executable: URL

    /// Uses the executable at `executable`.
    public init(executable: URL) {
        self.executable = executable
    }

    /// Finds `sluice`: `SLUICE_BINARY` when set, else beside the running test binary or bundle
    /// (and up to two directories above it, for macOS bundle layouts).
    public static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> SluiceCLI {
        if let override = environment["SLUICE_BINARY"], !override.isEmpty {
            let url = URL(fileURLWithPath: override)
            guard isExecutableFile(url) else {
                throw TestSupportError(.notFound, "SLUICE_BINARY=\(override) is not an executable file")
            }
            return SluiceCLI(executable: url)
        }
        let directories = candidateDirectories()
        for directory in directories {
            var current = directory
            for _ in 0..<3 {
                let candidate = current.appendingPathComponent("sluice")
                if isExecutableFile(candidate) { return SluiceCLI(executable: candidate) }
                current = current.deletingLastPathComponent()
            }
        }
        throw TestSupportError(
            .notFound,
            "no sluice executable beside the test binary (looked in \(directories.map(\.path))); "
                + "build it (swift build --product sluice) or set SLUICE_BINARY")
    }

    /// Runs `sluice ARGUMENTS`, killing it after `timeout`. Never throws for a non-zero exit:
    /// check ``ProcessResult/exitCode``.
    public func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        currentDirectory: URL? = nil,
        input: Data? = nil,
        timeout: Duration = .seconds(60)
    ) throws -> ProcessResult {
        try ProcessRunner.run(
            executable.path, arguments, environment: environment,
            currentDirectory: currentDirectory, input: input, timeout: timeout)
    }

    /// The async form of ``run(_:environment:currentDirectory:input:timeout:)``; waits off the
    /// cooperative thread pool.
    public func runAsync(
        _ arguments: [String],
        environment: [String: String] = [:],
        currentDirectory: URL? = nil,
        input: Data? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> ProcessResult {
        try await ProcessRunner.runAsync(
            executable.path, arguments, environment: environment,
            currentDirectory: currentDirectory, input: input, timeout: timeout)
    }

    private static func candidateDirectories() -> [URL] {
        var result: [URL] = []
        func add(_ url: URL?) {
            guard let url else { return }
            let directory = url.resolvingSymlinksInPath().deletingLastPathComponent()
            if !result.contains(directory) { result.append(directory) }
        }
        #if os(Linux)
        add(URL(fileURLWithPath: "/proc/self/exe"))
        #endif
        if let first = CommandLine.arguments.first {
            add(URL(fileURLWithPath: first, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).absoluteURL)
        }
        add(Bundle.main.executableURL)
        add(Bundle.main.bundleURL)
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            add(bundle.bundleURL)
        }
        return result
    }

    private static func isExecutableFile(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            && !isDirectory.boolValue && FileManager.default.isExecutableFile(atPath: url.path)
    }
}
