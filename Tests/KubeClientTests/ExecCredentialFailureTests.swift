import Foundation
import Testing

@testable import KubeClient

@Suite("Exec credential plugin failures")
struct ExecCredentialFailureTests {
    static let v1 = ExecCredentialPluginTests.v1

    /// Loads a kubeconfig running `script` (a body for /bin/sh) with `args`, and returns the
    /// error of fetching a token, with the config file's path.
    static func failure(script: String, args: String = "[]", extra: String = "") async throws -> (KubeConfigError, String) {
        let fixture = try KubeConfigFixture()
        try fixture.script("plugin.sh", script)
        let file = try fixture.write("config", ExecCredentialPluginTests.config(command: "./plugin.sh", extra: "args: \(args)\n" + extra))
        let connection = try fixture.load(explicit: "config")
        let error = try await #require(throws: KubeConfigError.self) { try await connection.currentToken() }
        return (error, file)
    }

    @Test("a failing plugin's status and stderr are in the error, its arguments and output are not")
    func failingPlugin() async throws {
        let (error, file) = try await Self.failure(
            script: "echo 'SECRET-STDOUT'; echo 'error: you must log in first (run: sso login)' >&2; exit 3",
            args: "[--key, SECRET-ARG]")
        #expect(error.code == .exec)
        let command = URL(fileURLWithPath: file).deletingLastPathComponent().path + "/plugin.sh"
        #expect(error.message == "\(file): users[0].user.exec: the plugin \(command) exited with status 3: error: you must log in first (run: sso login)")
        #expect(!error.message.contains("SECRET"))
    }

    struct OutputCase: Sendable, CustomTestStringConvertible {
        var name: String
        var output: String
        var problem: String
        var testDescription: String { name }
    }

    @Test("unusable output is rejected without being quoted", arguments: [
        OutputCase(name: "not JSON", output: "SECRET-TOKEN here", problem: "the plugin's output is not JSON (invalid at byte 0)"),
        OutputCase(
            name: "wrong API version",
            output: #"{"apiVersion": "client.authentication.k8s.io/v1beta1", "status": {"token": "SECRET"}}"#,
            problem: "the plugin is configured to use API version client.authentication.k8s.io/v1, but returned version \"client.authentication.k8s.io/v1beta1\""),
        OutputCase(
            name: "no status", output: #"{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential"}"#,
            problem: "the plugin's ExecCredential has no status"),
        OutputCase(
            name: "certificate without key",
            output: #"{"apiVersion": "client.authentication.k8s.io/v1", "status": {"clientCertificateData": "SECRET"}}"#,
            problem: "the plugin returned only one of status.clientCertificateData and status.clientKeyData, not both"),
        OutputCase(
            name: "nothing usable", output: #"{"apiVersion": "client.authentication.k8s.io/v1", "status": {}}"#,
            problem: "the plugin returned neither status.token nor a client certificate and key"),
        OutputCase(
            name: "bad expiry",
            output: #"{"apiVersion": "client.authentication.k8s.io/v1", "status": {"token": "SECRET", "expirationTimestamp": "tomorrow"}}"#,
            problem: "status.expirationTimestamp \"tomorrow\" is not an RFC 3339 time"),
    ])
    func unusableOutput(_ example: OutputCase) async throws {
        let (error, file) = try await Self.failure(script: "cat <<'EOF'\n\(example.output)\nEOF")
        #expect(error.code == .exec)
        #expect(error.message == "\(file): users[0].user.exec: \(example.problem)")
        #expect(!error.message.contains("SECRET"))
    }

    @Test("a command that cannot be found names the command and gives the install hint")
    func missingCommand() async throws {
        let fixture = try KubeConfigFixture()
        let file = try fixture.write("config", ExecCredentialPluginTests.config(
            command: "sluice-no-such-plugin", extra: "installHint: Install it with 'brew install sluice-auth'.\n"))
        let connection = try fixture.load(explicit: "config", environment: ["PATH": "\(fixture.path)/empty-bin"])
        let error = try await #require(throws: KubeConfigError.self) { try await connection.currentToken() }
        #expect(error.message == "\(file): users[0].user.exec: the plugin sluice-no-such-plugin was not found or is not executable (searched PATH). Install it with 'brew install sluice-auth'.")
    }

    @Test("a token the plugin handed out before is blanked out of later stderr")
    func earlierTokenRedacted() async throws {
        let fixture = try KubeConfigFixture()
        try fixture.script("plugin.sh", """
            if [ -e "$(dirname "$0")/ran" ]; then echo "rejected token SECRET-TOKEN-77" >&2; exit 1; fi
            touch "$(dirname "$0")/ran"
            echo '{"apiVersion": "client.authentication.k8s.io/v1", "status": {"token": "SECRET-TOKEN-77"}}'
            """)
        try fixture.write("config", ExecCredentialPluginTests.config(command: "./plugin.sh"))
        let connection = try fixture.load(explicit: "config")
        #expect(try await connection.currentToken() == "SECRET-TOKEN-77")
        connection.credentialsRejected()
        let error = try await #require(throws: KubeConfigError.self) { try await connection.currentToken() }
        #expect(error.message.hasSuffix("exited with status 1: rejected token <redacted>"))
    }

    @Test("a plugin that runs past its timeout is killed")
    func timeout() async throws {
        let fixture = try KubeConfigFixture()
        let script = try fixture.script("hang.sh", "echo starting >&2; exec sleep 30")
        let plugin = ExecCredentialPlugin(configuration: .init(
            apiVersion: Self.v1, command: script, interactiveMode: .never, timeout: .milliseconds(300)))
        let error = try await #require(throws: KubeConfigError.self) { try await plugin.credential() }
        #expect(error.message == "exec plugin \(script): the plugin \(script) did not finish within 0.3 seconds: starting")
    }

    @Test("interactiveMode Always without a terminal fails before running the plugin")
    func alwaysNeedsATerminal() async throws {
        guard isatty(STDIN_FILENO) == 0 else { return }
        let plugin = ExecCredentialPlugin(configuration: .init(apiVersion: Self.v1, command: "/bin/true", interactiveMode: .always))
        let error = try await #require(throws: KubeConfigError.self) { try await plugin.credential() }
        #expect(error.message.contains("needs a terminal"))
        #expect(plugin.runCount == 1)
    }
}
