import Foundation
import Testing
import TestSupport

@Suite("SluiceCLI")
struct SluiceCLILocatorTests {
    @Test("SLUICE_BINARY overrides the lookup and the runner returns output and exit code")
    func overrideAndRun() throws {
        let cli = try SluiceCLI.locate(environment: ["SLUICE_BINARY": "/bin/sh"])
        let result = try cli.run(["-c", "echo \"$SLUICE_FIXTURE\"; exit 2"], environment: ["SLUICE_FIXTURE": "hi"])
        #expect(result.trimmedOutput == "hi")
        #expect(result.exitCode == 2)
        let hung = try cli.run(["-c", "sleep 30"], timeout: .milliseconds(300))
        #expect(hung.timedOut)
    }

    @Test("an override that is not an executable file is reported")
    func badOverride() {
        #expect(throws: TestSupportError.self) {
            try SluiceCLI.locate(environment: ["SLUICE_BINARY": "/nonexistent/sluice"])
        }
    }

    @Test("the built sluice executable is found beside the test binary")
    func findsBuiltExecutable() throws {
        let cli = try SluiceCLI.locate(environment: [:])
        #expect(cli.executable.lastPathComponent == "sluice")
        #expect(FileManager.default.isExecutableFile(atPath: cli.executable.path))
    }
}
