import Foundation
import KubeModel

/// A container's startup, readiness or liveness probe, read from its spec with the kubelet's
/// defaults (`periodSeconds` 10, `timeoutSeconds` 1, `successThreshold` 1, `failureThreshold` 3).
///
/// With `--run-pods` the kubelet runs each probe against the container's local process: `exec` as
/// a process in the container's environment and working directory, `httpGet` and `tcpSocket` on
/// 127.0.0.1, where the container's processes listen (see ``Probe/check(_:)``).
struct Probe: Sendable, Equatable {
    /// Which of the container's three probes, named as in the kubelet's events.
    enum Kind: String, Sendable {
        case startup = "Startup"
        case readiness = "Readiness"
        case liveness = "Liveness"

        var field: String {
            switch self {
            case .startup: "startupProbe"
            case .readiness: "readinessProbe"
            case .liveness: "livenessProbe"
            }
        }
    }

    /// What a probe does.
    enum Action: Sendable, Equatable {
        case exec(command: [String])
        case httpGet(port: Port, path: String, scheme: String, headers: [Header])
        case tcpSocket(port: Port)
        /// A handler LocalCluster does not run (`grpc`), or none: the probe fails with this message.
        case unsupported(String)
    }

    /// A port by number or by the name of one of the container's `ports`.
    enum Port: Sendable, Equatable {
        case number(Int)
        case name(String)
    }

    struct Header: Sendable, Equatable {
        var name: String
        var value: String
    }

    var kind: Kind
    var action: Action
    var initialDelay: Duration
    var period: Duration
    var timeout: Duration
    var successThreshold: Int
    var failureThreshold: Int

    /// The container's probe of `kind`, or nil when its spec declares none.
    init?(_ kind: Kind, of container: JSONValue) {
        guard let spec = container[kind.field], spec.objectValue != nil else { return nil }
        self.kind = kind
        func seconds(_ field: String, default value: Int64, minimum: Int64) -> Int64 {
            max(spec[field]?.intValue ?? value, minimum)
        }
        initialDelay = .seconds(seconds("initialDelaySeconds", default: 0, minimum: 0))
        period = .seconds(seconds("periodSeconds", default: 10, minimum: 1))
        timeout = .seconds(seconds("timeoutSeconds", default: 1, minimum: 1))
        successThreshold = Int(seconds("successThreshold", default: 1, minimum: 1))
        failureThreshold = Int(seconds("failureThreshold", default: 3, minimum: 1))
        if let exec = spec["exec"] {
            action = .exec(command: (exec["command"]?.arrayValue ?? []).compactMap(\.stringValue))
        } else if let get = spec["httpGet"] {
            let headers = (get["httpHeaders"]?.arrayValue ?? []).compactMap { header -> Header? in
                guard let name = header["name"]?.stringValue else { return nil }
                return Header(name: name, value: header["value"]?.stringValue ?? "")
            }
            action = .httpGet(
                port: Self.port(get["port"]), path: get["path"]?.stringValue ?? "/", scheme: get["scheme"]?.stringValue ?? "HTTP",
                headers: headers)
        } else if let socket = spec["tcpSocket"] {
            action = .tcpSocket(port: Self.port(socket["port"]))
        } else if spec["grpc"] != nil {
            action = .unsupported("gRPC probes are not run by LocalCluster")
        } else {
            action = .unsupported("probe has no handler (exec, httpGet or tcpSocket)")
        }
    }

    private static func port(_ value: JSONValue?) -> Port {
        if let number = value?.intValue { return .number(Int(number)) }
        if let text = value?.stringValue {
            if let number = Int(text) { return .number(number) }
            return .name(text)
        }
        return .number(0)
    }

    /// The port number, a name looked up in the container's `ports`; nil when it names none.
    static func resolve(_ port: Port, in container: JSONValue) -> Int? {
        switch port {
        case .number(let number): return (1...65535).contains(number) ? number : nil
        case .name(let name):
            let declared = (container["ports"]?.arrayValue ?? []).first { $0["name"]?.stringValue == name }
            return declared?["containerPort"]?.intValue.map { Int($0) }
        }
    }
}

/// How one run of a probe went: the kubelet's result and, on failure, the message of its
/// `Unhealthy` event (`Readiness probe failed: MESSAGE`).
enum ProbeResult: Sendable, Equatable {
    case success
    case failure(String)

    var succeeded: Bool { self == .success }
}
