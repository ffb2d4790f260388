import Foundation
import Testing
import TestSupport

/// The documentation checked against the product by `scripts/check-docs`: every `sluice` command in
/// README.md, Charts/README.md and Docs/ names a real subcommand and real flags, Docs/configuration.md
/// lists every flag and configuration-file field, Docs/architecture.md matches Package.swift, every
/// link stays inside the repository, and the `sh runnable` examples run against the built binary.
@Suite("The documentation", .timeLimit(.minutes(10)))
struct DocsTests {
    /// The package root: this file is `Tests/SluiceCLITests/DocsTests.swift`.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let checker = packageRoot.appendingPathComponent("scripts/check-docs")

    /// Runs the checker on `root` against the built `sluice`, with `extra` arguments.
    static func check(root: URL, sluice: SluiceCLI, _ extra: [String] = [], timeout: Duration = .seconds(120)) async throws -> ProcessResult {
        try await ProcessRunner.runAsync(
            "python3", [checker.path, "--sluice", sluice.executable.path, "--root", root.path] + extra,
            unsetting: ["KUBECONFIG"], currentDirectory: packageRoot, timeout: timeout)
    }

    /// What a failed check printed: the problems (stdout) and the progress of the runnable blocks (stderr).
    static func transcript(_ result: ProcessResult) -> String {
        "exit status \(result.exitCode)\(result.timedOut ? " (timed out)" : "")\nproblems:\n\(result.output)\nprogress:\n\(result.errorOutput.suffix(4000))"
    }

    /// Appends `text` to the file at `url`.
    static func append(_ text: String, to url: URL) throws {
        let old = try String(contentsOf: url, encoding: .utf8)
        try (old + text).write(to: url, atomically: true, encoding: .utf8)
    }

    @Test("every documented command and flag exists, every link resolves, and the runnable examples succeed")
    func documentationMatchesTheProduct() async throws {
        let sluice = try SluiceCLI.locate()
        // Each runnable block may take up to 180 s; together they take about a minute.
        let result = try await Self.check(root: Self.packageRoot, sluice: sluice, ["--run"], timeout: .seconds(540))
        #expect(!result.timedOut, "\(Self.transcript(result))")
        #expect(result.exitCode == 0, "\(Self.transcript(result))")
    }

    @Test("a flag that does not exist and a link to a file users do not have fail the check, each named with its file and line")
    func plantedMistakesAreFound() async throws {
        let sluice = try SluiceCLI.locate()
        let directory = try TemporaryDirectory(label: "docs-check")
        defer { directory.remove() }
        let root = directory.url

        // A copy of the repository without its hidden entries (.build, .git, .sluice, ...).
        let entries = try FileManager.default.contentsOfDirectory(atPath: Self.packageRoot.path).filter { !$0.hasPrefix(".") }
        for entry in entries {
            let copied = try await ProcessRunner.runAsync(
                "cp", ["-R", "-p", Self.packageRoot.appendingPathComponent(entry).path, root.appendingPathComponent(entry).path],
                timeout: .seconds(60))
            #expect(copied.succeeded, "cp \(entry): \(copied.errorOutput)")
        }
        let clean = try await Self.check(root: root, sluice: sluice)
        #expect(clean.exitCode == 0, "the copy passes before anything is planted\n\(Self.transcript(clean))")

        let gettingStarted = root.appendingPathComponent("Docs/getting-started.md")
        let sync = root.appendingPathComponent("Docs/sync.md")
        try Self.append("\n```sh\nsluice sync --repo ./my-repo --path deploy --no-such-flag\n```\n", to: gettingStarted)
        try Self.append("\nThe rules are in [the semantics](../shared/SYNC-SEMANTICS.md).\n", to: sync)
        let planted = try await Self.check(root: root, sluice: sluice)
        let problems = planted.output.split(separator: "\n").map(String.init)

        #expect(planted.exitCode == 1, "\(Self.transcript(planted))")
        #expect(
            problems.contains { $0.hasPrefix("Docs/getting-started.md:") && $0.contains("--no-such-flag") },
            "the planted flag is named with its file\n\(Self.transcript(planted))")
        #expect(
            problems.contains { $0.hasPrefix("Docs/sync.md:") && $0.contains("SYNC-SEMANTICS.md") },
            "the planted link is named with its file\n\(Self.transcript(planted))")
    }
}
