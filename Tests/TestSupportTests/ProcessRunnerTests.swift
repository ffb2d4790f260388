import Foundation
import Testing
import TestSupport

@Suite("ProcessRunner and helpers")
struct ProcessRunnerTests {
    @Test("a command's stdout, stderr and exit code are captured")
    func capturesOutput() throws {
        let result = try ProcessRunner.run(
            "sh", ["-c", "echo out; echo err >&2; exit 3"])
        #expect(result.exitCode == 3)
        #expect(result.trimmedOutput == "out")
        #expect(result.errorOutput == "err\n")
        #expect(!result.succeeded)
    }

    @Test("checking a failed command throws an error quoting its stderr")
    func checkQuotesStderr() throws {
        let error = #expect(throws: TestSupportError.self) {
            try ProcessRunner.run("sh", ["-c", "echo broken-thing >&2; exit 1"], check: true)
        }
        #expect(error?.code == .commandFailed)
        #expect(error?.message.contains("broken-thing") == true)
    }

    @Test("environment, working directory and stdin reach the command")
    func passesEnvironmentDirectoryAndInput() throws {
        let directory = try TemporaryDirectory()
        let result = try ProcessRunner.run(
            "sh", ["-c", "echo $FIXTURE_VALUE; pwd; cat"],
            environment: ["FIXTURE_VALUE": "hello"], currentDirectory: directory.url,
            input: Data("from-stdin".utf8), check: true)
        #expect(result.output == "hello\n\(directory.path)\nfrom-stdin")
    }

    @Test("a command past its timeout is killed together with the children it started")
    func timeoutKillsProcessGroup() throws {
        let directory = try TemporaryDirectory()
        let pidFile = directory.appending("child.pid")
        let clock = ContinuousClock()
        let started = clock.now
        let result = try ProcessRunner.run(
            "sh", ["-c", "sleep 30 & echo $! > \(pidFile.path); wait"], timeout: .milliseconds(500))
        #expect(result.timedOut)
        #expect(clock.now - started < .seconds(10))
        let childPID = try #require(
            Int32(String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        try waitForExit(childPID)
    }

    @Test("waitUntil returns once the condition holds and throws at the deadline")
    func waitUntilHonoursDeadline() async throws {
        let counter = Counter()
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(1)) { counter.next() >= 3 }
        let error = await #expect(throws: TestSupportError.self) {
            try await waitUntil(timeout: .milliseconds(50), "never") { false }
        }
        #expect(error?.code == .deadlineExceeded)
    }

    @Test("a temporary directory is removed by remove()")
    func temporaryDirectoryIsRemoved() throws {
        let directory = try TemporaryDirectory(label: "removal")
        try Data("x".utf8).write(to: directory.appending("file"))
        #expect(FileManager.default.fileExists(atPath: directory.path))
        directory.remove()
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }

    @Test("a free loopback port accepts no connections until something listens on it")
    func freePortIsFree() throws {
        let port = try Loopback.freePort()
        #expect(port > 0)
        #expect(!Loopback.isAccepting(port: port))
    }

    @Test("a refusing port refuses connections while it is kept")
    func refusingPortRefuses() throws {
        let refusing = try Loopback.refusingPort()
        #expect(refusing.port > 0)
        #expect(!Loopback.isAccepting(port: refusing.port))
        #expect(throws: (any Error).self) { try Loopback.connect(port: refusing.port) }
    }
}

/// Waits (with a deadline) until `pid` no longer exists.
func waitForExit(_ pid: Int32, timeout: Duration = .seconds(5)) throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while kill(pid, 0) == 0 {
        // A zombie still answers kill(0); it is dead for our purposes once its parent reaps it.
        let state = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        if let state, state.contains(") Z ") { return }
        guard clock.now < deadline else {
            Issue.record("process \(pid) still alive after \(timeout)")
            return
        }
        usleep(10_000)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
