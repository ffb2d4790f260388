import Foundation
import Testing

@testable import KubeClient

@Suite("In-cluster configuration")
struct InClusterConfigTests {
    static let environment = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]

    /// A service account directory like the one a pod gets.
    static func serviceAccount(_ fixture: KubeConfigFixture, namespace: String? = "apps", ca: Bool = true) throws -> String {
        try fixture.write("sa/token", "sa-token-1")
        if ca { try fixture.write("sa/ca.crt", "-----BEGIN CERTIFICATE-----\nCLUSTER CA\n-----END CERTIFICATE-----\n") }
        if let namespace { try fixture.write("sa/namespace", namespace + "\n") }
        return "\(fixture.path)/sa"
    }

    @Test("the service account's token, CA and namespace are used")
    func serviceAccount() async throws {
        let fixture = try KubeConfigFixture()
        let directory = try Self.serviceAccount(fixture)
        let connection = try KubeConfigLoader.inCluster(environment: Self.environment, serviceAccountDirectory: directory)
        #expect(connection.server == "https://10.96.0.1:443")
        #expect(connection.tls.caPEM?.contains("CLUSTER CA") == true)
        #expect(connection.namespace == "apps")
        #expect(connection.contextName == nil)
        #expect(try await connection.currentToken() == "sa-token-1")
        #expect(connection.description == "https://10.96.0.1:443")
        #expect(!String(reflecting: connection).contains("sa-token"))
    }

    @Test("a rotated service account token is picked up")
    func rotation() async throws {
        let fixture = try KubeConfigFixture()
        let directory = try Self.serviceAccount(fixture)
        let connection = try KubeConfigLoader.inCluster(environment: Self.environment, serviceAccountDirectory: directory)
        #expect(try await connection.requestAuthentication().authorization == "Bearer sa-token-1")
        try KubeConfigTokenFileTests.write("sa-token-2", to: "\(directory)/token", modified: Date(timeIntervalSinceNow: 60))
        #expect(try await connection.requestAuthentication().authorization == "Bearer sa-token-2")
    }

    @Test("defaults and overrides", arguments: [
        (["POD_NAMESPACE": "from-env"], "apps", true, "https://10.96.0.1:443", "from-env"),
        ([:], nil, true, "https://10.96.0.1:443", "default"),
        (["KUBERNETES_SERVICE_HOST": "fd00::1"], "apps", false, "https://[fd00::1]:443", "apps"),
    ] as [([String: String], String?, Bool, String, String)])
    func defaults(extra: [String: String], namespace: String?, ca: Bool, server: String, expectedNamespace: String) throws {
        let fixture = try KubeConfigFixture()
        let directory = try Self.serviceAccount(fixture, namespace: namespace, ca: ca)
        let environment = Self.environment.merging(extra) { _, new in new }
        let connection = try KubeConfigLoader.inCluster(environment: environment, serviceAccountDirectory: directory)
        #expect(connection.server == server)
        #expect(connection.namespace == expectedNamespace)
        #expect((connection.tls.caPEM != nil) == ca)
    }

    @Test("outside a pod the error is notFound", arguments: [
        [:], ["KUBERNETES_SERVICE_HOST": "10.96.0.1"], ["KUBERNETES_SERVICE_PORT": "443"],
    ] as [[String: String]])
    func notInCluster(environment: [String: String]) throws {
        let fixture = try KubeConfigFixture()
        let directory = try Self.serviceAccount(fixture)
        let error = try #require(throws: KubeConfigError.self) {
            try KubeConfigLoader.inCluster(environment: environment, serviceAccountDirectory: directory)
        }
        #expect(error.code == .notFound)
        #expect(error.message.contains("KUBERNETES_SERVICE_HOST"))
    }

    @Test("a missing token file is notFound and names the file")
    func missingToken() throws {
        let fixture = try KubeConfigFixture()
        let error = try #require(throws: KubeConfigError.self) {
            try KubeConfigLoader.inCluster(environment: Self.environment, serviceAccountDirectory: fixture.path)
        }
        #expect(error.code == .notFound)
        #expect(error.message == "\(fixture.path)/token: cannot read the service account token: No such file or directory")
    }
}
