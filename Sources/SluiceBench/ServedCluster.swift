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

    func stop() { process.stop() }
    func log() -> String { process.log() }
}
