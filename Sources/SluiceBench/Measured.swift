import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process's wall time and peak resident memory, measured with `wait4`.
struct Measurement {
    var seconds: Double
    var peakRSSKiB: Int
    var exitCode: Int32
    var output: String
}

/// Runs `arguments` (the first is an absolute path or a name on PATH) and measures it.
/// posix_spawn and wait4 directly: Foundation's Process reaps its children itself, which would
/// lose the child's own resource usage.
func measure(_ arguments: [String], environment: [String: String] = [:]) throws -> Measurement {
    let executable = arguments[0].hasPrefix("/") ? arguments[0] : try which(arguments[0])
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-\(UUID().uuidString).log").path
    defer { try? FileManager.default.removeItem(atPath: log) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
    // Linux keeps a process's peak RSS across execve, so a child spawned straight from this
    // process would report this process's peak. GNU time forks from a small process instead.
    let rssFile = log + ".rss"
    defer { try? FileManager.default.removeItem(atPath: rssFile) }
    let timed = ["/usr/bin/time", "-f", "%M", "-o", rssFile, executable] + arguments.dropFirst()
    let argv: [UnsafeMutablePointer<CChar>?] = timed.map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    let start = ContinuousClock.now
    let spawned = posix_spawn(&pid, "/usr/bin/time", &actions, nil, argv, envp)
    guard spawned == 0 else { throw BenchError("cannot start \(executable): \(String(cString: strerror(spawned)))") }
    var status: Int32 = 0
    var usage = rusage()
    _ = wait4(pid, &status, 0, &usage)
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    let rss = (try? String(contentsOfFile: rssFile, encoding: .utf8))?.split(separator: "\n").last.flatMap { Int($0) } ?? 0
    return Measurement(seconds: seconds, peakRSSKiB: rss, exitCode: code, output: output)
}

func which(_ name: String) throws -> String {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw BenchError("\(name) not found on PATH")
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
