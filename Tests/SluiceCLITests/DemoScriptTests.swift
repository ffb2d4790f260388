import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `scripts/demo` end to end, as a person runs it, so that it cannot rot: LocalCluster with
/// `--run-pods`, `git daemon`, `sluice agent`, a push whose PreSync migration fails (SyncFail runs)
/// and a push that fixes it, each announced by a signed webhook. The demo is given the built
/// binary through `SLUICE_BINARY`, since `swift build` cannot run inside `swift test`.
@Suite("scripts/demo runs end to end", .timeLimit(.minutes(8)))
struct DemoScriptTests {
    /// The package root: this file is `Tests/SluiceCLITests/DemoScriptTests.swift`.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `PATH` with the Python scripts directory first, where PyPI's kubectl lands (as scripts/test does).
    static func pathWithPythonScripts() async throws -> String {
        let inherited = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let scripts = try await ProcessRunner.runAsync(
            "python3", ["-c", "import sysconfig; print(sysconfig.get_path('scripts'))"], timeout: .seconds(30))
        guard scripts.succeeded, !scripts.trimmedOutput.isEmpty else { return inherited }
        return scripts.trimmedOutput + ":" + inherited
    }

    /// Whether `pid` is a process that still runs (a zombie nobody reaped yet does not).
    static func isRunning(_ pid: Int32) -> Bool {
        #if os(Linux)
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // `PID (COMM) STATE ...`: the state follows the last parenthesis.
        guard let close = stat.range(of: ")", options: .backwards) else { return false }
        let state = stat[close.upperBound...].trimmingCharacters(in: .whitespaces).prefix(1)
        return state != "Z" && state != "X"
        #else
        return kill(pid, 0) == 0 || errno == EPERM
        #endif
    }

    /// Processes whose working directory is inside `directory` (LocalCluster runs each Pod's
    /// command in `DATA/pods/...`, so a Pod process left behind shows up here). Linux only.
    static func processes(workingIn directory: String) -> [Int32] {
        #if os(Linux)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry),
                let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/cwd"),
                cwd.hasPrefix(directory + "/") || cwd == directory,
                isRunning(pid)
            else { return nil }
            return pid
        }
        #else
        return []
        #endif
    }

    @Test("the demo delivers a commit, records a failed migration with its SyncFail hook, recovers with the fix, and leaves no process behind")
    func demoRunsEndToEnd() async throws {
        let sluice = try SluiceCLI.locate()
        let directory = try TemporaryDirectory(label: "demo")
        defer { directory.remove() }
        // The demo works here (it must not exist yet) and keeps it, so its pid file can be read afterwards.
        let work = directory.appending("work").path
        let path = try await Self.pathWithPythonScripts()

        let result = try await ProcessRunner.runAsync(
            "bash", [Self.packageRoot.appendingPathComponent("scripts/demo").path, "--workdir", work],
            environment: ["SLUICE_BINARY": sluice.executable.path, "PATH": path],
            currentDirectory: Self.packageRoot, timeout: .seconds(240))
        let output = result.output
        let transcript = "stdout (end):\n\(output.suffix(8000))\nstderr (end):\n\(result.errorOutput.suffix(3000))"

        #expect(!result.timedOut, "the demo ran past 240 s\n\(transcript)")
        #expect(result.exitCode == 0, "exit status \(result.exitCode)\n\(transcript)")
        let lines = output.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        #expect(lines.last == "demo: ok", "the demo's last line\n\(transcript)")
        #expect(!output.contains("demo: FAILED"), "\(transcript)")

        // The three outcomes, in the order the commits were pushed, as the demo checked them in the history.
        let history = lines.first { $0.hasPrefix("demo: history: ") }
        #expect(
            history?.range(of: #"^demo: history: [0-9a-f]{12} Succeeded, [0-9a-f]{12} Failed, [0-9a-f]{12} Succeeded$"#, options: .regularExpression)
                != nil,
            "\(history ?? "no history line")\n\(transcript)")
        // `sluice history` itself, printed under its heading, names both outcomes.
        #expect(output.contains("sluice history --app shop"), "\(transcript)")
        #expect(lines.contains { $0.contains(" Failed ") && $0.contains("webhook") }, "a Failed attempt triggered by the webhook\n\(transcript)")
        // The failed commit's `sluice show`: the migration's error and the SyncFail hook's output, from the ledger.
        #expect(output.contains(#"migrate: ERROR: column "discount" of relation "orders" contains null values"#), "\(transcript)")
        #expect(output.contains("notify: sync of shop failed; paging #deploys"), "\(transcript)")
        #expect(output.contains("smoke-test: 200 OK"), "the PostSync smoke test's output, live in the agent's log or in show\n\(transcript)")
        #expect(output.contains("kubeconfig: \(work)/local-cluster/kubeconfig"), "\(transcript)")

        // The work directory line is parseable, and names the directory it was given.
        let announced = lines.first { $0.hasPrefix("demo: work directory: ") }.map { String($0.dropFirst("demo: work directory: ".count)) }
        #expect(announced == work, "\(announced ?? "no work directory line")\n\(transcript)")

        // Every process the demo recorded has exited, and no Pod process outlived LocalCluster.
        let recorded = try String(contentsOfFile: work + "/pids", encoding: .utf8)
            .split(whereSeparator: \.isNewline).compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
        #expect(recorded.count >= 5, "LocalCluster, git daemon, the agent and its log follower are recorded: \(recorded)")
        let survivors = recorded.filter { Self.isRunning($0) }
        #expect(survivors.isEmpty, "still running after the demo: \(survivors)\n\(transcript)")
        let pods = work + "/local-cluster/pods"
        let strays = Self.processes(workingIn: pods)
        #expect(strays.isEmpty, "Pod processes still running in \(pods): \(strays)")
        for pid in survivors + strays { _ = kill(pid, SIGKILL) }  // do not leave them to the next test
    }
}
