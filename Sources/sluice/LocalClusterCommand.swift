import ArgumentParser
import Foundation
import LocalCluster
import Logging
import ServiceLifecycle

/// `sluice local-cluster`: serve the embedded Kubernetes-compatible API server.
struct LocalClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local-cluster",
        abstract: "Serve LocalCluster, the embedded Kubernetes-compatible API server, until SIGTERM or SIGINT.",
        discussion: """
            Serves HTTPS with a CA it generates and requires a bearer token; writes DIR/kubeconfig, which \
            kubectl uses as it is (kubectl --kubeconfig DIR/kubeconfig get pods). State is kept in DIR \
            and survives a restart.
            """)

    @Option(help: ArgumentHelp("The address and port to listen on (port 0 picks a free one).", valueName: "host:port"))
    var listen = "127.0.0.1:6443"

    @Option(help: ArgumentHelp("Where state, credentials and the kubeconfig are kept.", valueName: "dir"))
    var data = ".sluice/local-cluster"

    @Flag(help: "Run each pod container's command and args as a local process; without it, pods succeed at once.")
    var runPods = false

    @Option(
        name: .customLong("max-requests-inflight"),
        help: ArgumentHelp("Requests served at once (watches aside); one more is refused with 429 and Retry-After: 1 (0: no limit).", valueName: "n"))
    var maxRequestsInFlight = 600

    func run() async throws {
        let (host, port) = try Self.parseListen(listen)
        try ListenCheck.check(host: host, port: port)
        let cluster: LocalCluster
        do {
            cluster = try LocalCluster(
                options: LocalClusterOptions(host: host, port: port, dataDirectory: URL(fileURLWithPath: data, isDirectory: true), runPods: runPods,
                    maxRequestsInFlight: max(0, maxRequestsInFlight)))
            try await cluster.start()
        } catch {
            throw CLIExit(code: 4, message: "\(error)")
        }
        FileHandle.standardError.write(
            Data("sluice: LocalCluster serving on \(cluster.url); kubeconfig: \(cluster.kubeconfigURL.path)\n".utf8))
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: cluster)], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "sluice.local-cluster")))
        try await group.run()
        FileHandle.standardError.write(
            Data("sluice: LocalCluster stopped; \(cluster.requestsRefusedAsOverloaded) requests were refused as overloaded (429)\n".utf8))
    }

    static func parseListen(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw CLIExit.usage("--listen must be host:port, e.g. 127.0.0.1:6443 (got \(text))")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }
}
