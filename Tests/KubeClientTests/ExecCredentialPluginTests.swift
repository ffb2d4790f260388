import Foundation
import KubeModel
import Testing
import TestSupport

@testable import KubeClient

@Suite("Exec credential plugins")
struct ExecCredentialPluginTests {
    static let v1 = "client.authentication.k8s.io/v1"
    static let v1beta1 = "client.authentication.k8s.io/v1beta1"

    /// A script that counts its runs in `runs` next to it and prints an ExecCredential whose
    /// status is `status` (shell-expanded, so it may use `$1`, `$VAR` and `$n`, the run number).
    @discardableResult
    static func credentialScript(_ fixture: KubeConfigFixture, apiVersion: String = v1, status: String) throws -> String {
        try fixture.script("bin/plugin.sh", """
            dir=$(dirname "$0")
            n=$(( $(cat "$dir/runs" 2>/dev/null || echo 0) + 1 ))
            echo $n > "$dir/runs"
            printf '%s' "$KUBERNETES_EXEC_INFO" > "$dir/exec-info.json"
            cat <<EOF
            {"apiVersion": "\(apiVersion)", "kind": "ExecCredential", "status": \(status)}
            EOF
            """)
    }

    /// A kubeconfig whose user runs `command` with `exec` settings (indented YAML).
    static func config(command: String, apiVersion: String = v1, extra: String = "") -> String {
        let settings = extra.split(separator: "\n").map { "  \($0)\n" }.joined()
        // v1beta1 leaves interactiveMode out to check that it defaults as in client-go.
        let mode = apiVersion == v1beta1 ? "" : "  interactiveMode: Never\n"
        let exec = "exec:\n  apiVersion: \(apiVersion)\n  command: \(command)\n" + mode + settings
        return KubeConfigFixture.single(
            cluster: "server: https://h:6443\ncertificate-authority-data: \(KubeConfigFixture.base64("THE CA"))", user: exec)
    }

    static func plugin(_ connection: ClusterConnection) throws -> ExecCredentialPlugin {
        guard case .token(.exec(let plugin)) = connection.credentials else {
            throw KubeConfigError(.invalid, "expected an exec plugin, got \(connection.credentials)")
        }
        return plugin
    }

    @Test("a plugin's token is used and cached when it has no expiry", arguments: [v1, v1beta1])
    func tokenCachedForever(apiVersion: String) async throws {
        let fixture = try KubeConfigFixture()
        try Self.credentialScript(fixture, apiVersion: apiVersion, status: #"{"token": "tok-$n"}"#)
        try fixture.write("config", Self.config(command: "bin/plugin.sh", apiVersion: apiVersion))
        let connection = try fixture.load(explicit: "config")
        #expect(try await connection.requestAuthentication().authorization == "Bearer tok-1")
        #expect(try await connection.currentToken() == "tok-1")
        #expect(try Self.plugin(connection).runCount == 1)
    }

    @Test("arguments, env entries and KUBERNETES_EXEC_INFO reach the plugin", arguments: [true, false])
    func argumentsAndEnvironment(provideClusterInfo: Bool) async throws {
        let fixture = try KubeConfigFixture()
        try Self.credentialScript(fixture, status: #"{"token": "$1-$2-$REGION"}"#)
        let extra = """
            args: [alpha, "two words"]
            env:
            - {name: REGION, value: eu-west}
            provideClusterInfo: \(provideClusterInfo)

            """
        try fixture.write("config", Self.config(command: "DIR/bin/plugin.sh", extra: extra))
        let connection = try fixture.load(explicit: "config")
        #expect(try await connection.currentToken() == "alpha-two words-eu-west")
        let info = try JSONValue.parse(try String(contentsOfFile: "\(fixture.path)/bin/exec-info.json", encoding: .utf8))
        #expect(info["apiVersion"] == .string(Self.v1))
        #expect(info["kind"] == "ExecCredential")
        #expect(info[path: ["spec", "interactive"]] == false)
        if provideClusterInfo {
            #expect(info[path: ["spec", "cluster", "server"]] == "https://h:6443")
            #expect(info[path: ["spec", "cluster", "certificate-authority-data"]] == .string(KubeConfigFixture.base64("THE CA")))
        } else {
            #expect(info[path: ["spec", "cluster"]] == nil)
        }
    }

    @Test("a credential that has expired is fetched again on the next call")
    func expiredCredentialIsRefreshed() async throws {
        let fixture = try KubeConfigFixture()
        try Self.credentialScript(fixture, status: #"{"token": "tok-$n", "expirationTimestamp": "2001-01-01T00:00:00Z"}"#)
        try fixture.write("config", Self.config(command: "bin/plugin.sh"))
        let connection = try fixture.load(explicit: "config")
        #expect(try await connection.currentToken() == "tok-1")
        #expect(try await connection.currentToken() == "tok-2")
        #expect(try Self.plugin(connection).runCount == 2)
    }

    @Test("a credential is reused until its expiry, then refreshed")
    func expiryWithClock() async throws {
        let fixture = try KubeConfigFixture()
        let script = try Self.credentialScript(fixture, status: #"{"token": "tok-$n", "expirationTimestamp": "2023-11-14T22:20:00.5Z"}"#)
        let clock = ManualWallClock()  // starts at 2023-11-14T22:13:20Z
        let plugin = ExecCredentialPlugin(
            configuration: .init(apiVersion: Self.v1, command: script, interactiveMode: .never), now: clock.now)
        #expect(try await plugin.credential().token == "tok-1")
        clock.advance(by: 400)
        #expect(try await plugin.credential().token == "tok-1")
        clock.advance(by: 1)
        #expect(try await plugin.credential().token == "tok-2")
    }

    @Test("invalidating after a 401 runs the plugin again, once")
    func invalidation() async throws {
        let fixture = try KubeConfigFixture()
        try Self.credentialScript(fixture, status: #"{"token": "tok-$n"}"#)
        try fixture.write("config", Self.config(command: "bin/plugin.sh"))
        let connection = try fixture.load(explicit: "config")
        let first = try await connection.requestAuthentication()
        #expect(connection.credentialsRejected(first))
        #expect(try await connection.currentToken() == "tok-2")
        // A second caller reporting the same stale token must not discard the fresh one.
        connection.credentialsRejected(first)
        #expect(try await connection.currentToken() == "tok-2")
        #expect(try Self.plugin(connection).runCount == 2)
    }

    @Test("concurrent callers share one run of the plugin")
    func concurrentCallersShareARun() async throws {
        let fixture = try KubeConfigFixture()
        let script = try fixture.script("slow.sh", """
            sleep 0.3
            echo '{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {"token": "shared"}}'
            """)
        let plugin = ExecCredentialPlugin(configuration: .init(apiVersion: Self.v1, command: script, interactiveMode: .never))
        let tokens = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<8 { group.addTask { try await plugin.credential().token } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(tokens == Array(repeating: "shared", count: 8))
        #expect(plugin.runCount == 1)
    }

    @Test("a client certificate from the plugin replaces the kubeconfig's")
    func clientCertificate() async throws {
        let fixture = try KubeConfigFixture()
        try Self.credentialScript(fixture, status: #"{"clientCertificateData": "PLUGIN CERT", "clientKeyData": "PLUGIN KEY"}"#)
        try fixture.write("config", Self.config(command: "bin/plugin.sh"))
        let connection = try fixture.load(explicit: "config")
        let authentication = try await connection.requestAuthentication()
        #expect(authentication == .init(clientCertificatePEM: "PLUGIN CERT", clientKeyPEM: "PLUGIN KEY"))
        #expect(try await connection.currentToken() == nil)
    }
}
