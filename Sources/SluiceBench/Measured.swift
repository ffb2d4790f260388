import Foundation
import TestSupport

/// A child process's wall time and peak resident memory.
struct Measurement {
    var seconds: Double
    var peakRSSKiB: Int
    /// User plus system CPU time of the command.
    var cpuSeconds: Double = 0
    var exitCode: Int32
    var output: String
}

/// Runs `arguments` (the first is an absolute path or a name on PATH) and measures it.
///
/// Linux keeps a process's peak RSS across execve, so a child spawned straight from this
/// process would report this process's peak; GNU time forks the command from a small process
/// and reports the command's own.
func measure(_ arguments: [String], environment: [String: String] = [:]) throws -> Measurement {
    let executable = try ProcessRunner.resolveExecutable(arguments[0])
    let rssFile = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-\(UUID().uuidString).rss").path
    defer { try? FileManager.default.removeItem(atPath: rssFile) }
    let start = ContinuousClock.now
    let result = try ProcessRunner.run(
        "/usr/bin/time", ["-f", "%M %U %S", "-o", rssFile, executable] + arguments.dropFirst(), environment: environment)
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let fields = (try? String(contentsOfFile: rssFile, encoding: .utf8))?.split(separator: "\n").last?.split(separator: " ") ?? []
    let rss = fields.first.flatMap { Int($0) } ?? 0
    let cpu = fields.dropFirst().compactMap { Double($0) }.reduce(0, +)
    return Measurement(seconds: seconds, peakRSSKiB: rss, cpuSeconds: cpu, exitCode: result.exitCode, output: result.output + result.errorOutput)
}

/// The median of `runs` measurements of `arguments` (by wall time): one run of a command of a tenth
/// of a second is mostly noise. Throws when a run fails.
func measureMedian(_ arguments: [String], runs: Int, environment: [String: String] = [:]) throws -> Measurement {
    var all: [Measurement] = []
    for _ in 0..<max(1, runs) {
        let run = try measure(arguments, environment: environment)
        guard run.exitCode == 0 else { throw BenchError("\(arguments.joined(separator: " ")) failed: \(run.output.suffix(2000))") }
        all.append(run)
    }
    return all.sorted { $0.seconds < $1.seconds }[all.count / 2]
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
