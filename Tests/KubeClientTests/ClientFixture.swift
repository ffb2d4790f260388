import Foundation
import KubeModel
import LocalCluster
import TestSupport

@testable import KubeClient

/// A LocalCluster on a free port and a KubeClient that trusts it.
final class ClientFixture: Sendable {
    let cluster: LocalCluster
    let client: KubeClient
    let directory: TemporaryDirectory

    init(runPods: Bool = false, port: Int = 0, directory: TemporaryDirectory? = nil, options: KubeClient.Options = .init()) async throws {
        self.directory = try directory ?? TemporaryDirectory(label: "kubeclient")
        cluster = try LocalCluster(options: LocalClusterOptions(host: "127.0.0.1", port: port, dataDirectory: self.directory.appending("data"), runPods: runPods))
        try await cluster.start()
        client = Self.client(for: cluster, options: options)
    }

    static func client(for cluster: LocalCluster, token: String? = nil, caPEM: String? = nil, options: KubeClient.Options = .init()) -> KubeClient {
        let bearer = "Bearer " + (token ?? cluster.token)
        return KubeClient(
            server: cluster.url, settings: TransportSettings(caPEM: caPEM ?? cluster.caCertificatePEM), defaultNamespace: "default", options: options,
            authenticate: { ClusterConnection.RequestAuthentication(authorization: bearer) })
    }

    func stop() async { await cluster.stop() }
}

enum Kinds {
    static let configMap = GroupVersionKind(group: "", version: "v1", kind: "ConfigMap")
    static let pod = GroupVersionKind(group: "", version: "v1", kind: "Pod")
    static let job = GroupVersionKind(group: "batch", version: "v1", kind: "Job")
    static let crd = GroupVersionKind(group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition")
    static let widget = GroupVersionKind(group: "example.com", version: "v1", kind: "Widget")
}

func configMap(_ name: String, data: [String: JSONValue] = ["k": "v"], labels: [String: String] = [:]) -> JSONValue {
    var object: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)], "data": .object(data)]
    object.labels = labels
    return object
}
