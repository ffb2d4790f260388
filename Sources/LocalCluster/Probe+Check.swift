import Foundation
import KubeModel
import ProcessSpawn

#if canImport(Glibc)
import Glibc
#endif

extension Probe {
    /// Where a probe runs: the container it checks, as its own process is run.
    struct Target: Sendable {
        /// The container's spec, for named ports.
        var container: JSONValue
        /// The container's environment (see ``Kubelet/environment(for:pod:)``).
        var environment: [String: String]
        /// The container's private working directory.
        var workingDirectory: URL
    }

    /// Runs the probe once, within its `timeoutSeconds`. Blocking work (the `exec` command, the
    /// socket) runs on a thread of its own, never on the cooperative pool.
    func check(_ target: Target) async -> ProbeResult {
        switch action {
        case .unsupported(let message):
            return .failure(message)
        case .exec(let command):
            let timeout = self.timeout
            return await Self.onThread("exec probe") { Self.exec(command, target: target, timeout: timeout) }
        case .tcpSocket(let port):
            guard let number = Self.resolve(port, in: target.container) else { return .failure(Self.unknownPort(port)) }
            let deadline = ContinuousClock.now + timeout
            return await Self.onThread("tcp probe") {
                switch LoopbackConnection.exchange(port: number, request: nil, until: deadline) {
                case .success: return .success
                case .failure(let error): return .failure("dial tcp 127.0.0.1:\(number): \(error.message)")
                }
            }
        case .httpGet(let port, let path, let scheme, let headers):
            guard let number = Self.resolve(port, in: target.container) else { return .failure(Self.unknownPort(port)) }
            let url = "\(scheme.lowercased())://127.0.0.1:\(number)\(path.hasPrefix("/") ? path : "/" + path)"
            guard scheme.uppercased() == "HTTP" else { return .failure("Get \"\(url)\": scheme \(scheme) is not run by LocalCluster (HTTP only)") }
            let request = Self.httpRequest(path: path, port: number, headers: headers)
            let deadline = ContinuousClock.now + timeout
            return await Self.onThread("http probe") {
                switch LoopbackConnection.exchange(port: number, request: request, until: deadline) {
                case .success(let response): return Self.httpResult(response, url: url)
                case .failure(let error) where error.timedOut:
                    return .failure("Get \"\(url)\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)")
                case .failure(let error): return .failure("Get \"\(url)\": dial tcp 127.0.0.1:\(number): \(error.message)")
                }
            }
        }
    }

    private static func unknownPort(_ port: Port) -> String {
        switch port {
        case .number(let number): "invalid port number: \(number)"
        case .name(let name): "unable to find port \"\(name)\" in the container's ports"
        }
    }

    /// Runs `work` on a new thread and returns its result.
    private static func onThread(_ name: String, _ work: @escaping @Sendable () -> ProbeResult) async -> ProbeResult {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: work()) }
            thread.name = name
            thread.start()
        }
    }

    /// Runs the command to completion (its process group killed at the timeout): exit 0 succeeds;
    /// otherwise the message is its output, as the kubelet reports it.
    private static func exec(_ command: [String], target: Target, timeout: Duration) -> ProbeResult {
        guard let program = command.first, !program.isEmpty else { return .failure("exec: no command") }
        let directory = target.workingDirectory.path
        do {
            try FileManager.default.createDirectory(at: target.workingDirectory, withIntermediateDirectories: true)
            let executable = try PodProcess.resolve(program, searchPath: target.environment["PATH"], workingDirectory: directory)
            let completed = try ChildProcess.run(
                executable, arguments: command, environment: target.environment, directory: directory, timeout: timeout, maximumOutput: 10 << 10,
                maximumErrorOutput: 10 << 10)
            if completed.timedOut { return .failure("command \(command.debugDescription) timed out") }
            if completed.status == 0 { return .success }
            let output = String(decoding: completed.standardOutput + completed.standardError, as: UTF8.self)
            return .failure(output.isEmpty ? "command \(command.debugDescription) exited with \(completed.status)" : output)
        } catch {
            return .failure("\(error)")
        }
    }

    private static func httpRequest(path: String, port: Int, headers: [Header]) -> [UInt8] {
        var fields: [(String, String)] = [("Host", "127.0.0.1:\(port)"), ("User-Agent", "kube-probe/1.32"), ("Accept", "*/*")]
        for header in headers {
            // A header of the probe replaces the kubelet's default of the same name.
            fields.removeAll { $0.0.lowercased() == header.name.lowercased() }
        }
        fields += headers.map { ($0.name, $0.value) }
        fields.append(("Connection", "close"))
        let target = path.hasPrefix("/") ? path : "/" + path
        let text = "GET \(target) HTTP/1.1\r\n" + fields.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"
        return Array(text.utf8)
    }

    /// 200–399 succeeds, as for the kubelet.
    private static func httpResult(_ response: [UInt8], url: String) -> ProbeResult {
        let text = String(decoding: response, as: UTF8.self)
        let statusLine = text.split(separator: "\r\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
            return .failure("Get \"\(url)\": malformed HTTP response \(String(statusLine.prefix(100)).debugDescription)")
        }
        return (200..<400).contains(code) ? .success : .failure("HTTP probe failed with statuscode: \(code)")
    }
}
