import Foundation

/// Shared start-up logic: pick a port, launch, wait until ready, retry when the port was taken.
enum ServerStartup {
    /// Launches a server on a free port and waits until `isReady(port)`; when the process exits
    /// first (typically because another process took the port), tries again with a new port.
    static func launchOnFreePort(
        name: String,
        attempts: Int = 5,
        timeout: Duration = .seconds(20),
        port fixed: UInt16? = nil,
        launch: (UInt16) throws -> BackgroundProcess,
        isReady: @Sendable @escaping (UInt16) -> Bool
    ) async throws -> (process: BackgroundProcess, port: UInt16) {
        var lastLog = ""
        for _ in 0..<attempts {
            // A fixed port (a server restarted where clients expect it) is tried again after a pause.
            if fixed != nil, !lastLog.isEmpty { try await Task.sleep(for: .milliseconds(200)) }
            let port = try fixed ?? Loopback.freePort()
            let process = try launch(port)
            let ready = try await waitForReady(process, timeout: timeout) { isReady(port) }
            if ready { return (process, port) }
            lastLog = process.log()
            process.stop()
        }
        throw TestSupportError(
            .serverFailed, "\(name) did not start after \(attempts) attempts; last log:\n\(lastLog)")
    }

    /// Launches a server that binds port 0 itself and writes the port it got to `portFile`.
    static func launchWithPortFile(
        name: String,
        portFile: URL,
        timeout: Duration = .seconds(20),
        launch: () throws -> BackgroundProcess
    ) async throws -> (process: BackgroundProcess, port: UInt16) {
        try? FileManager.default.removeItem(at: portFile)
        let process = try launch()
        let readPort: @Sendable () -> UInt16? = {
            guard let text = try? String(contentsOf: portFile, encoding: .utf8),
                text.hasSuffix("\n")
            else { return nil }
            return UInt16(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // The script writes the file after listen(), so the port accepts connections by then;
        // probing it would show up in the fixtures' connection counts.
        let ready = try await waitForReady(process, timeout: timeout) { readPort() != nil }
        guard ready, let port = readPort() else {
            let log = process.log()
            process.stop()
            throw TestSupportError(.serverFailed, "\(name) did not start; log:\n\(log)")
        }
        return (process, port)
    }

    /// True once `isReady`, false when the process exits first; throws on the deadline.
    private static func waitForReady(
        _ process: BackgroundProcess, timeout: Duration, isReady: @escaping @Sendable () -> Bool
    ) async throws -> Bool {
        var ready = false
        do {
            try await waitUntil(timeout: timeout, poll: .milliseconds(10), "\(process.command[0]) ready") {
                if isReady() {
                    ready = true
                    return true
                }
                return !process.isRunning
            }
        } catch {
            let log = process.log()
            process.stop()
            throw TestSupportError(
                .serverFailed, "\(process.command.joined(separator: " ")) not ready: \(error)\n\(log)")
        }
        return ready
    }
}
