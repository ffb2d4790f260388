import Foundation
import KubeModel
import ProcessSpawn

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
        // A container with no command is an image LocalCluster cannot run: it stands for a server
        // that is up (see ``PodRun``), so what a network probe would ask it is answered yes. Its exec
        // probes still run, as local commands.
        let standIn = target.container["command"]?.arrayValue?.isEmpty ?? true
        switch action {
        case .unsupported(let message):
            return .failure(message)
        case .exec(let command):
            let timeout = self.timeout
            return await Self.onThread("exec probe") { Self.exec(command, target: target, timeout: timeout) }
        case .tcpSocket where standIn, .httpGet where standIn:
            return .success
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
            guard scheme.uppercased() == "HTTP" else {
                return .failure("Get \"\(scheme.lowercased())://127.0.0.1:\(number)\(path)\": scheme \(scheme) is not run by LocalCluster (HTTP only)")
            }
            let deadline = ContinuousClock.now + timeout
            return await Self.onThread("http probe") { Self.httpGet(port: number, path: path, headers: headers, until: deadline) }
        }
    }

    /// GETs `path`, following redirects on the same host as Go's client does for the kubelet
    /// (up to 10); a redirect elsewhere counts as success, as the kubelet's does.
    private static func httpGet(port: Int, path: String, headers: [Header], until deadline: ContinuousClock.Instant) -> ProbeResult {
        var path = path.hasPrefix("/") ? path : "/" + path
        for _ in 0...10 {
            let url = "http://127.0.0.1:\(port)\(path)"
            let response: HTTPResponse
            switch LoopbackConnection.exchange(port: port, request: Self.httpRequest(path: path, port: port, headers: headers), until: deadline) {
            case .success(let bytes):
                guard let parsed = HTTPResponse(bytes) else { return .failure("Get \"\(url)\": \(bytes.isEmpty ? "EOF" : "malformed HTTP response")") }
                response = parsed
            case .failure(let error) where error.timedOut:
                return .failure("Get \"\(url)\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)")
            case .failure(let error):
                return .failure("Get \"\(url)\": dial tcp 127.0.0.1:\(port): \(error.message)")
            }
            guard (300..<400).contains(response.status), let location = response.location else {
                return (200..<400).contains(response.status) ? .success : .failure("HTTP probe failed with statuscode: \(response.status)")
            }
            let local = ["http://127.0.0.1:\(port)", "http://localhost:\(port)"].first { location.hasPrefix($0 + "/") || location == $0 }
            if location.hasPrefix("/") {
                path = location
            } else if let local {
                path = location.dropFirst(local.count).isEmpty ? "/" : String(location.dropFirst(local.count))
            } else {
                return .success
            }
        }
        return .failure("Get \"http://127.0.0.1:\(port)\(path)\": stopped after 10 redirects")
    }

    /// The status line and `Location` of an HTTP/1.x response.
    private struct HTTPResponse {
        var status: Int
        var location: String?

        init?(_ bytes: [UInt8]) {
            let head = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
            let lines = head.components(separatedBy: "\r\n")
            let parts = lines[0].split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else { return nil }
            self.status = status
            location = lines.dropFirst().first { $0.lowercased().hasPrefix("location:") }.map { String($0.dropFirst(9)).trimmingCharacters(in: .whitespaces) }
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
                executable, arguments: command, environment: target.environment, directory: directory, timeout: timeout, maximumOutput: 1 << 20,
                maximumErrorOutput: 1 << 20)
            if completed.timedOut { return .failure("command \(command.debugDescription) timed out") }
            if completed.status == 0 { return .success }
            // The kubelet keeps the first 10 KiB of a failed command's output for its message.
            let output = String(decoding: (completed.standardOutput + completed.standardError).prefix(10 << 10), as: UTF8.self)
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
}
