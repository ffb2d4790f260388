import Foundation
import Testing

@testable import KubeClient

@Suite("Kubeconfig loading and merging")
struct KubeConfigTests {
    /// Three files that disagree: `a` and `b` both define cluster `shared`, context
    /// `shared-ctx` and user `ua`, and set different current contexts; `c` sets none.
    static let files: [String: String] = [
        "a.yaml": """
            current-context: ctx-a
            clusters:
            - name: shared
              cluster: {server: "https://a.example:6443"}
            - name: only-a
              cluster: {server: "https://only-a.example"}
            contexts:
            - name: ctx-a
              context: {cluster: shared, user: ua, namespace: team-a}
            - name: shared-ctx
              context: {cluster: only-a}
            users:
            - name: ua
              user: {token: token-from-a}
            """,
        "b.yaml": """
            current-context: ctx-b
            clusters:
            - name: shared
              cluster: {server: "https://b.example:6443"}
            - name: only-b
              cluster: {server: "https://only-b.example"}
            contexts:
            - name: ctx-b
              context: {cluster: shared, user: ub}
            - name: shared-ctx
              context: {cluster: only-b}
            users:
            - name: ua
              user: {username: bob, password: pw-from-b}
            - name: ub
              user: {token: token-from-b}
            """,
        "c.yaml": """
            clusters:
            - name: only-c
              cluster: {server: "https://only-c.example"}
            contexts:
            - name: ctx-c
              context: {cluster: only-c}
            """,
    ]

    struct MergeCase: Sendable, CustomTestStringConvertible {
        var kubeconfig: [String]
        var context: String?
        var expectedContext: String
        var expectedServer: String
        var expectedCredentials: String
        var expectedNamespace = "default"
        var testDescription: String { "KUBECONFIG=\(kubeconfig.joined(separator: ":")) context=\(context ?? "-")" }
    }

    @Test("the first file to set current-context and to define a name wins", arguments: [
        MergeCase(kubeconfig: ["a.yaml", "b.yaml"], expectedContext: "ctx-a", expectedServer: "https://a.example:6443",
                  expectedCredentials: "token (literal)", expectedNamespace: "team-a"),
        MergeCase(kubeconfig: ["b.yaml", "a.yaml"], expectedContext: "ctx-b", expectedServer: "https://b.example:6443",
                  expectedCredentials: "token (literal)"),
        MergeCase(kubeconfig: ["c.yaml", "b.yaml", "a.yaml"], expectedContext: "ctx-b", expectedServer: "https://b.example:6443",
                  expectedCredentials: "token (literal)"),
        MergeCase(kubeconfig: ["a.yaml", "b.yaml"], context: "shared-ctx", expectedContext: "shared-ctx",
                  expectedServer: "https://only-a.example", expectedCredentials: "none"),
        MergeCase(kubeconfig: ["b.yaml", "a.yaml"], context: "shared-ctx", expectedContext: "shared-ctx",
                  expectedServer: "https://only-b.example", expectedCredentials: "none"),
        // ctx-b exists only in b, but the cluster it names comes from a, the first to define it.
        MergeCase(kubeconfig: ["c.yaml", "a.yaml", "b.yaml"], context: "ctx-b", expectedContext: "ctx-b",
                  expectedServer: "https://a.example:6443", expectedCredentials: "token (literal)"),
        // ctx-a from a, but user ua from b (first in the list) is basic auth.
        MergeCase(kubeconfig: ["b.yaml", "a.yaml"], context: "ctx-a", expectedContext: "ctx-a",
                  expectedServer: "https://b.example:6443", expectedCredentials: "basic (user bob)", expectedNamespace: "team-a"),
        MergeCase(kubeconfig: ["missing.yaml", "b.yaml"], expectedContext: "ctx-b", expectedServer: "https://b.example:6443",
                  expectedCredentials: "token (literal)"),
        MergeCase(kubeconfig: ["c.yaml", "c.yaml", "a.yaml"], context: "ctx-c", expectedContext: "ctx-c",
                  expectedServer: "https://only-c.example", expectedCredentials: "none"),
    ])
    func merging(_ example: MergeCase) throws {
        let fixture = try KubeConfigFixture()
        for (name, text) in Self.files { try fixture.write(name, text) }
        let connection = try fixture.load(kubeconfig: example.kubeconfig, context: example.context)
        #expect(connection.contextName == example.expectedContext)
        #expect(connection.server == example.expectedServer)
        #expect("\(connection.credentials)" == example.expectedCredentials)
        #expect(connection.namespace == example.expectedNamespace)
    }

    @Test("merged tokens come from the file that defined the user first")
    func mergedTokenSource() async throws {
        let fixture = try KubeConfigFixture()
        for (name, text) in Self.files { try fixture.write(name, text) }
        let fromA = try fixture.load(kubeconfig: ["a.yaml", "b.yaml"])
        #expect(try await fromA.currentToken() == "token-from-a")
        let fromB = try fixture.load(kubeconfig: ["b.yaml", "a.yaml"])
        #expect(try await fromB.currentToken() == "token-from-b")
    }

    @Test("--kubeconfig is used alone, ignoring KUBECONFIG and the home directory")
    func explicitPathWins() throws {
        let fixture = try KubeConfigFixture()
        for (name, text) in Self.files { try fixture.write(name, text) }
        try fixture.write("home/.kube/config", Self.files["b.yaml"] ?? "")
        let connection = try fixture.load(explicit: "c.yaml", kubeconfig: ["a.yaml"], context: "ctx-c")
        #expect(connection.server == "https://only-c.example")
        #expect(fixture.loadError(explicit: "c.yaml", kubeconfig: ["a.yaml"], context: "ctx-a")?.code == .missingContext)
    }

    @Test("without --kubeconfig or KUBECONFIG, ~/.kube/config is read", arguments: [nil, ""] as [String?])
    func homeConfig(kubeconfigVariable: String?) throws {
        let fixture = try KubeConfigFixture()
        try fixture.write("home/.kube/config", Self.files["b.yaml"] ?? "")
        let environment = kubeconfigVariable.map { ["KUBECONFIG": $0] } ?? [:]
        let connection = try fixture.load(environment: environment)
        #expect(connection.contextName == "ctx-b")
        #expect(connection.description == "https://b.example:6443 (context ctx-b)")
    }

    @Test("--context overrides current-context")
    func contextOverride() throws {
        let fixture = try KubeConfigFixture()
        try fixture.write("a.yaml", Self.files["a.yaml"] ?? "")
        #expect(try fixture.load(kubeconfig: ["a.yaml"]).server == "https://a.example:6443")
        #expect(try fixture.load(kubeconfig: ["a.yaml"], context: "shared-ctx").server == "https://only-a.example")
    }

    @Test("relative file paths resolve against the directory of the file that defined them")
    func relativePaths() throws {
        let fixture = try KubeConfigFixture()
        try fixture.write("one/certs/ca.pem", "CA FROM ONE")
        try fixture.write("two/pki/client.crt", "CERT FROM TWO")
        try fixture.write("two/pki/client.key", "KEY FROM TWO")
        try fixture.write("two/secrets/token", "token-from-two\n")
        try fixture.write("one/config", """
            current-context: main
            clusters:
            - name: c
              cluster: {server: "https://one.example", certificate-authority: certs/ca.pem}
            contexts:
            - name: main
              context: {cluster: c, user: u}
            """)
        try fixture.write("two/nested/config", """
            users:
            - name: u
              user:
                client-certificate: ../pki/client.crt
                client-key: ../pki/client.key
                tokenFile: ../secrets/token
            """)
        let connection = try fixture.load(kubeconfig: ["one/config", "two/nested/config"])
        #expect(connection.tls.caPEM == "CA FROM ONE")
        #expect(connection.tls.clientCertificatePEM == "CERT FROM TWO")
        #expect(connection.tls.clientKeyPEM == "KEY FROM TWO")
        guard case .token(.file(let file)) = connection.credentials else {
            Issue.record("expected a token file, got \(connection.credentials)")
            return
        }
        #expect(file.path == "\(fixture.path)/two/secrets/token")
        #expect(try file.currentToken() == "token-from-two")
    }

    @Test("-data fields and files give the same PEM", arguments: [true, false])
    func dataOrFile(inline: Bool) throws {
        let fixture = try KubeConfigFixture()
        let ca = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"
        let cert = "-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n"
        let key = "-----BEGIN EC PRIVATE KEY-----\nKEY\n-----END EC PRIVATE KEY-----\n"
        let cluster: String
        let user: String
        if inline {
            cluster = "server: https://h:6443\ncertificate-authority-data: \(KubeConfigFixture.base64(ca))"
            user = "client-certificate-data: \(KubeConfigFixture.base64(cert))\nclient-key-data: \(KubeConfigFixture.base64(key))"
        } else {
            try fixture.write("ca.pem", ca)
            try fixture.write("client.pem", cert)
            try fixture.write("client.key", key)
            cluster = "server: https://h:6443\ncertificate-authority: ca.pem"
            user = "client-certificate: client.pem\nclient-key: DIR/client.key"
        }
        try fixture.write("config", KubeConfigFixture.single(cluster: cluster, user: user))
        let connection = try fixture.load(explicit: "config")
        #expect(connection.tls == ClusterConnection.TLS(caPEM: ca, clientCertificatePEM: cert, clientKeyPEM: key))
        #expect("\(connection.credentials)" == "none")
    }

    @Test("cluster settings: insecure, tls-server-name, proxy-url, namespace")
    func clusterSettings() throws {
        let fixture = try KubeConfigFixture()
        try fixture.write("config", KubeConfigFixture.single(
            cluster: """
                server: https://10.0.0.1:6443/
                insecure-skip-tls-verify: true
                tls-server-name: api.internal
                proxy-url: socks5://127.0.0.1:1080
                """,
            namespace: "apps"))
        let connection = try fixture.load(explicit: "config")
        #expect(connection.server == "https://10.0.0.1:6443")
        #expect(connection.tls.insecureSkipVerify)
        #expect(connection.tls.caPEM == nil)
        #expect(connection.tls.serverName == "api.internal")
        #expect(connection.proxyURL == "socks5://127.0.0.1:1080")
        #expect(connection.namespace == "apps")
    }

    @Test("basic auth sends an Authorization: Basic header")
    func basicAuth() async throws {
        let fixture = try KubeConfigFixture()
        try fixture.write("config", KubeConfigFixture.single(user: "username: alice\npassword: \"s3cret:pw\""))
        let connection = try fixture.load(explicit: "config")
        guard case .basic(let username, let password) = connection.credentials else {
            Issue.record("expected basic auth, got \(connection.credentials)")
            return
        }
        #expect(username == "alice" && password == "s3cret:pw")
        let authentication = try await connection.requestAuthentication()
        #expect(authentication.authorization == "Basic " + KubeConfigFixture.base64("alice:s3cret:pw"))
        #expect(try await connection.currentToken() == nil)
        #expect(!connection.credentialsRejected(authentication))
    }

    @Test("servers are normalised as client-go does", arguments: [
        ("https://h:6443/", "", "https://h:6443"),
        ("https://h/prefix/", "", "https://h/prefix"),
        ("h:8080", "", "http://h:8080"),
        ("h:6443", "\ninsecure-skip-tls-verify: true", "https://h:6443"),
        ("http://127.0.0.1:8001", "", "http://127.0.0.1:8001"),
    ])
    func serverNormalisation(server: String, extra: String, expected: String) throws {
        let fixture = try KubeConfigFixture()
        try fixture.write("config", KubeConfigFixture.single(cluster: "server: \"\(server)\"\(extra)"))
        #expect(try fixture.load(explicit: "config").server == expected)
    }

    @Test("numbers and empty strings in string fields read like kubectl reads them")
    func scalarTyping() async throws {
        let fixture = try KubeConfigFixture()
        try fixture.write("config", KubeConfigFixture.single(user: "token: 12345\nusername: \"\"\npassword: null"))
        let connection = try fixture.load(explicit: "config")
        #expect(try await connection.currentToken() == "12345")
    }
}
