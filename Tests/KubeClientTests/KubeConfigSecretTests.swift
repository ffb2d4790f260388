import Foundation
import Testing

@testable import KubeClient

@Suite("Secrets stay out of messages and descriptions")
struct KubeConfigSecretTests {
    static let secrets = ["SECRET-TOKEN-1", "SECRET-PASSWORD-2", "SECRET-KEY-3", "SECRET-PROXY-4", "SECRET-SERVER-5"]

    /// A kubeconfig holding every kind of secret, with `context` chosen by the test.
    static func config() -> String {
        """
        current-context: token
        clusters:
        - name: c
          cluster:
            server: "https://admin:SECRET-SERVER-5@h:6443"
            proxy-url: "http://user:SECRET-PROXY-4@proxy:3128"
        contexts:
        - name: token
          context: {cluster: c, user: token}
        - name: basic
          context: {cluster: c, user: basic}
        - name: cert
          context: {cluster: c, user: cert}
        - name: broken
          context: {cluster: c, user: broken}
        - name: dangling
          context: {cluster: gone, user: token}
        users:
        - name: token
          user: {token: SECRET-TOKEN-1}
        - name: basic
          user: {username: alice, password: SECRET-PASSWORD-2}
        - name: cert
          user:
            client-certificate-data: \(KubeConfigFixture.base64("CERT"))
            client-key-data: \(KubeConfigFixture.base64("SECRET-KEY-3"))
        - name: broken
          user: {token: SECRET-TOKEN-1, password: SECRET-PASSWORD-2}
        """
    }

    @Test("descriptions, debug descriptions and dumps show no secret", arguments: ["token", "basic", "cert"])
    func descriptions(context: String) async throws {
        let fixture = try KubeConfigFixture()
        try fixture.write("config", Self.config())
        let connection = try fixture.load(explicit: "config", context: context)
        var dumped = ""
        dump(connection, to: &dumped)
        let authentication = try await connection.requestAuthentication()
        var dumpedAuthentication = ""
        dump(authentication, to: &dumpedAuthentication)
        let texts = [
            connection.description, String(reflecting: connection), dumped, "\(connection.tls)",
            "\(connection.credentials)", String(reflecting: connection.credentials), "\(authentication)",
            dumpedAuthentication,
        ]
        for text in texts {
            for secret in Self.secrets { #expect(!text.contains(secret), "\(secret) in \(text)") }
        }
        #expect(connection.description == "https://h:6443 (context \(context))")
    }

    @Test("error messages show no secret", arguments: ["broken", "dangling", "missing"])
    func errors(context: String) throws {
        let fixture = try KubeConfigFixture()
        try fixture.write("config", Self.config())
        let error = try #require(fixture.loadError(explicit: "config", context: context))
        for secret in Self.secrets { #expect(!error.message.contains(secret), "\(secret) in \(error.message)") }
        #expect(!error.description.contains("SECRET"))
    }

    @Test("an invalid server URL is quoted without its user information")
    func invalidServer() throws {
        let fixture = try KubeConfigFixture()
        try fixture.write("config", KubeConfigFixture.single(cluster: "server: \"ftp://u:SECRET-SERVER-5@h\""))
        let error = try #require(fixture.loadError(explicit: "config"))
        #expect(error.code == .invalid)
        #expect(!error.message.contains("SECRET"))
        #expect(error.message.hasSuffix("cluster.server: \"ftp://h\" is not an http or https URL"))
    }
}
