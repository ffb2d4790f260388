import Foundation
import TestSupport

/// A `sluice local-cluster` process for a benchmark: started on a free loopback port with its data
/// in `data`, waited for until it serves and has written its kubeconfig.
struct ServedCluster {
    let process: BackgroundProcess
    let kubeconfig: String

    var pid: Int32 { process.pid }

    static func start(
        _ sluice: String, data: String, extra: [String] = [], environment: [String: String], log: URL
    ) throws -> ServedCluster {
        let process = try BackgroundProcess(
            sluice, ["local-cluster", "--listen", "127.0.0.1:0", "--data", data] + extra, environment: environment, logFile: log)
        let kubeconfig = data + "/kubeconfig"
        let deadline = ContinuousClock.now + .seconds(60)
        while !FileManager.default.fileExists(atPath: kubeconfig) || !process.log().contains("serving on") {
            guard ContinuousClock.now < deadline, process.isRunning else {
                process.stop()
                throw BenchError("local-cluster did not start: \(process.log())")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return ServedCluster(process: process, kubeconfig: kubeconfig)
    }

    /// Waits until the server has used at most 2% of a CPU over a whole second (after a large sync
    /// it goes on persisting its state for a while), at most `limit`: a latency measured while it
    /// still works measures the machine's load. Returns how long it waited, and whether it was idle.
    func waitUntilIdle(limit: Duration = .seconds(120)) -> (seconds: Double, idle: Bool) {
        let start = ContinuousClock.now
        var samples: [Double] = []
        var idle = false
        while ContinuousClock.now - start < limit, let used = try? AgentBenchmark.cpuSeconds(pid) {
            samples.append(used)
            // Samples 250 ms apart: the last five span one second. At most 2 clock ticks of 10 ms
            // (3 are 0.03 s).
            if samples.count >= 5, used - samples[samples.count - 5] < 0.025 {
                idle = true
                break
            }
            Thread.sleep(forTimeInterval: 0.25)
        }
        return (AgentBenchmark.seconds(ContinuousClock.now - start), idle)
    }

    func stop() { process.stop() }
    func log() -> String { process.log() }
}
