import Foundation
import Testing

@testable import KubeClient

@Suite("Kubeconfig errors")
struct KubeConfigErrorTests {
    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var name: String
        var config: String
        var context: String?
        var code: KubeConfigError.Code
        /// The message after `<file>: `; `DIR` stands for the fixture directory.
        var message: String
        var testDescription: String { name }
    }

    static let cases: [ErrorCase] = [
        ErrorCase(
            name: "current-context names a missing context",
            config: "current-context: ghost\ncontexts:\n- name: main\n  context: {cluster: c}\n",
            code: .missingContext, message: "current-context: context \"ghost\" not found (defined: \"main\")"),
        ErrorCase(
            name: "--context names a missing context",
            config: KubeConfigFixture.single(), context: "nope",
            code: .missingContext, message: "context \"nope\" not found (defined: \"main\")"),
        ErrorCase(
            name: "no current context",
            config: "clusters:\n- name: c\n  cluster: {server: \"https://h\"}\n",
            code: .missingContext, message: "current-context is not set; choose a context with --context NAME"),
        ErrorCase(
            name: "the context's cluster does not exist",
            config: """
                current-context: prod
                contexts:
                - name: dev
                  context: {cluster: dev}
                - name: prod
                  context: {cluster: prod}
                """,
            code: .missingCluster, message: "contexts[1].context.cluster: cluster \"prod\" not found"),
        ErrorCase(
            name: "the context names no cluster",
            config: "current-context: main\ncontexts:\n- name: main\n  context: {namespace: x}\n",
            code: .missingCluster, message: "contexts[0].context.cluster: context \"main\" names no cluster"),
        ErrorCase(
            name: "the context's user does not exist",
            config: """
                current-context: main
                clusters:
                - name: c
                  cluster: {server: "https://h"}
                contexts:
                - name: main
                  context: {cluster: c, user: admin}
                """,
            code: .missingUser, message: "contexts[0].context.user: user \"admin\" not found"),
        ErrorCase(
            name: "the cluster has no server",
            config: KubeConfigFixture.single(cluster: "tls-server-name: x"),
            code: .invalid, message: "clusters[0].cluster.server: no server is set for cluster \"main\""),
        ErrorCase(
            name: "the CA file is missing",
            config: KubeConfigFixture.single(cluster: "server: https://h\ncertificate-authority: missing/ca.pem"),
            code: .io,
            message: "clusters[0].cluster.certificate-authority: cannot read DIR/missing/ca.pem: No such file or directory"),
        ErrorCase(
            name: "both CA data and CA file",
            config: KubeConfigFixture.single(cluster: "server: https://h\ncertificate-authority: ca.pem\ncertificate-authority-data: Q0E="),
            code: .invalid,
            message: "clusters[0].cluster.certificate-authority-data: both certificate-authority and certificate-authority-data are set; keep one"),
        ErrorCase(
            name: "CA data that is not base64",
            config: KubeConfigFixture.single(cluster: "server: https://h\ncertificate-authority-data: \"not base64!\""),
            code: .invalid, message: "clusters[0].cluster.certificate-authority-data: not valid base64"),
        ErrorCase(
            name: "insecure together with a CA",
            config: KubeConfigFixture.single(cluster: "server: https://h\ncertificate-authority-data: Q0E=\ninsecure-skip-tls-verify: true"),
            code: .invalid,
            message: "clusters[0].cluster.insecure-skip-tls-verify: cannot be combined with a certificate authority (client-go refuses it too); keep one"),
        ErrorCase(
            name: "a proxy URL with an unsupported scheme",
            config: KubeConfigFixture.single(cluster: "server: https://h\nproxy-url: ftp://proxy:21"),
            code: .invalid, message: "clusters[0].cluster.proxy-url: not a URL with scheme http, https or socks5 and a host"),
        ErrorCase(
            name: "a client certificate without a key",
            config: KubeConfigFixture.single(user: "client-certificate-data: Q0VSVA=="),
            code: .invalid, message: "users[0].user.client-key: a client certificate is set without client-key or client-key-data"),
        ErrorCase(
            name: "token and basic auth together",
            config: KubeConfigFixture.single(user: "token: t\nusername: u\npassword: p"),
            code: .invalid, message: "users[0].user: more than one authentication method (token and username/password); keep one"),
        ErrorCase(
            name: "a token file that does not exist",
            config: KubeConfigFixture.single(user: "tokenFile: nowhere/token"),
            code: .io,
            message: "users[0].user.tokenFile: DIR/nowhere/token: cannot read the token file: No such file or directory"),
        ErrorCase(
            name: "an auth-provider plugin",
            config: KubeConfigFixture.single(user: "auth-provider: {name: oidc}"),
            code: .invalid,
            message: "users[0].user.auth-provider: auth-provider plugins are not supported; use an exec credential plugin (kubelogin, gke-gcloud-auth-plugin, …)"),
        ErrorCase(
            name: "an exec plugin without a command",
            config: KubeConfigFixture.single(user: "exec: {apiVersion: client.authentication.k8s.io/v1beta1}"),
            code: .invalid, message: "users[0].user.exec.command: a command is required to use an exec credential plugin"),
        ErrorCase(
            name: "a v1 exec plugin without interactiveMode",
            config: KubeConfigFixture.single(user: "exec: {apiVersion: client.authentication.k8s.io/v1, command: x}"),
            code: .invalid,
            message: "users[0].user.exec.interactiveMode: interactiveMode is required with client.authentication.k8s.io/v1 (Never, IfAvailable or Always)"),
        ErrorCase(
            name: "an exec plugin with an unknown API version",
            config: KubeConfigFixture.single(user: "exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: x}"),
            code: .invalid,
            message: "users[0].user.exec.apiVersion: \"client.authentication.k8s.io/v1alpha1\" is not supported; use client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1"),
        ErrorCase(
            name: "a namespace that is not a DNS label",
            config: KubeConfigFixture.single(namespace: "Not_Valid"),
            code: .invalid, message: "contexts[0].context.namespace: \"Not_Valid\" is not a valid namespace name (a DNS-1123 label)"),
        ErrorCase(
            name: "a name defined twice in one file",
            config: "clusters:\n- name: a\n  cluster: {server: \"https://h\"}\n- name: a\n  cluster: {server: \"https://i\"}\n",
            code: .invalid, message: "clusters[1].name: duplicate name \"a\" (also at clusters[0])"),
        ErrorCase(
            name: "an entry without a name",
            config: "users:\n- user: {token: t}\n",
            code: .invalid, message: "users[0].name: a name is required"),
        ErrorCase(
            name: "a list where a mapping belongs",
            config: "clusters:\n- name: a\n  cluster: [1, 2]\n",
            code: .invalid, message: "clusters[0].cluster: expected a mapping, found a list"),
        ErrorCase(
            name: "a document that is not a mapping",
            config: "- just\n- a list\n",
            code: .invalid, message: "document: expected a mapping, found a list"),
        ErrorCase(
            name: "a boolean field holding text",
            config: KubeConfigFixture.single(cluster: "server: https://h\ninsecure-skip-tls-verify: maybe"),
            code: .invalid, message: "clusters[0].cluster.insecure-skip-tls-verify: expected true or false"),
    ]

    @Test("errors name the file and the field at fault", arguments: cases)
    func errorNamesFileAndField(_ example: ErrorCase) throws {
        let fixture = try KubeConfigFixture()
        let file = try fixture.write("config", example.config)
        let error = try #require(fixture.loadError(explicit: "config", context: example.context))
        #expect(error.code == example.code)
        #expect(error.message == "\(file): " + example.message.replacingOccurrences(of: "DIR", with: fixture.path))
    }

    @Test("invalid YAML is reported with its line and without the line's text")
    func invalidYAML() throws {
        let fixture = try KubeConfigFixture()
        let file = try fixture.write("config", "users:\n- name: u\n  user: {token: SECRET-TOKEN-42\n")
        let error = try #require(fixture.loadError(explicit: "config"))
        #expect(error.code == .invalid)
        #expect(error.message.hasPrefix("\(file): not valid YAML: "))
        #expect(error.message.contains("line"))
        #expect(!error.message.contains("SECRET-TOKEN-42"))
    }

    @Test("a missing --kubeconfig file is notFound")
    func missingExplicitFile() throws {
        let fixture = try KubeConfigFixture()
        let error = try #require(fixture.loadError(explicit: "nope.yaml"))
        #expect(error.code == .notFound)
        #expect(error.message == "\(fixture.path)/nope.yaml: cannot read the kubeconfig: No such file or directory")
    }

    @Test("no kubeconfig anywhere is notFound, so callers can fall back to in-cluster")
    func nothingFound() throws {
        let fixture = try KubeConfigFixture()
        let none = try #require(fixture.loadError())
        #expect(none.code == .notFound)
        #expect(none.message == "\(fixture.home)/.kube/config: no kubeconfig file (KUBECONFIG is not set)")
        let missing = try #require(fixture.loadError(kubeconfig: ["a", "b"]))
        #expect(missing.code == .notFound)
        #expect(missing.message == "none of the kubeconfig files in KUBECONFIG exist: \(fixture.path)/a:\(fixture.path)/b")
        try fixture.write("empty", "# nothing here\n")
        #expect(fixture.loadError(kubeconfig: ["empty"])?.code == .notFound)
    }
}
