import Foundation

/// Runs the fixtures' Python 3 helper scripts (standard library only).
enum PythonScript {
    /// `SLUICE_TEST_PYTHON`, else `/usr/bin/python3`, else `python3` in `PATH`.
    static func interpreter() throws -> String {
        if let configured = ProcessInfo.processInfo.environment["SLUICE_TEST_PYTHON"],
            !configured.isEmpty
        {
            return try ProcessRunner.resolveExecutable(configured)
        }
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") {
            return "/usr/bin/python3"
        }
        return try ProcessRunner.resolveExecutable("python3")
    }

    /// Writes `source` and its JSON `configuration` into `directory` and starts it; the script
    /// binds port 0 and reports its port in `port.txt`. Returns the process and the port.
    static func launch(
        name: String, source: String, configuration: [String: Any], in directory: TemporaryDirectory
    ) async throws -> (process: BackgroundProcess, port: UInt16) {
        let scriptFile = directory.appending("\(name).py")
        let configFile = directory.appending("\(name).json")
        let portFile = directory.appending("\(name).port")
        var configuration = configuration
        configuration["portFile"] = portFile.path
        try Data(source.utf8).write(to: scriptFile)
        try JSONSerialization.data(withJSONObject: configuration, options: [.sortedKeys])
            .write(to: configFile)
        let python = try interpreter()
        return try await ServerStartup.launchWithPortFile(name: name, portFile: portFile) {
            try BackgroundProcess(
                python, ["-u", scriptFile.path, configFile.path],
                environment: ["PYTHONDONTWRITEBYTECODE": "1"],
                logFile: directory.appending("\(name).log"))
        }
    }

    /// Reads a file of JSON lines written by a script, decoding each line as `T`.
    static func readJSONLines<T: Decodable>(_ file: URL, as type: T.Type) throws -> [T] {
        guard FileManager.default.fileExists(atPath: file.path) else { return [] }
        let data = try Data(contentsOf: file)
        let decoder = JSONDecoder()
        return try data.split(separator: UInt8(ascii: "\n")).map {
            try decoder.decode(T.self, from: Data($0))
        }
    }
}
