import Foundation
import KubeModel

/// Server-side printing: the `meta.k8s.io/v1` Table that `kubectl get` asks for
/// (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), with the columns kubectl shows.
struct TableFormat {
    enum Include { case none, metadata, object }
    var include: Include

    init?(accept: String, includeObject: String?) {
        guard accept.contains("as=Table") else { return nil }
        switch includeObject {
        case "None": include = .none
        case "Object": include = .object
        default: include = .metadata
        }
    }

    private struct Column {
        var name: String
        var type: String = "string"
        var format: String = ""
        var priority: Int64 = 0
        var value: (JSONValue) -> JSONValue
    }

    func table(for items: [JSONValue], resource: ResourceType, metadata: JSONValue) -> JSONValue {
        let columns = Self.columns(for: resource)
        let definitions = columns.map { column -> JSONValue in
            ["name": .string(column.name), "type": .string(column.type), "format": .string(column.format), "description": .string(column.name), "priority": .int(column.priority)]
        }
        let rows = items.map { item -> JSONValue in
            var row: JSONValue = ["cells": .array(columns.map { $0.value(item) })]
            switch include {
            case .none: break
            case .object: row["object"] = item
            case .metadata:
                row["object"] = ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": item.metadata]
            }
            return row
        }
        return ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata, "columnDefinitions": .array(definitions), "rows": .array(rows)]
    }

    private static func columns(for resource: ResourceType) -> [Column] {
        let name = Column(name: "Name", format: "name") { .string($0.name ?? "") }
        let age = Column(name: "Age") { .string(Self.age($0[path: ["metadata", "creationTimestamp"]]?.stringValue)) }
        func int(_ path: [String]) -> (JSONValue) -> Int64 { { $0[path: path]?.intValue ?? 0 } }
        switch (resource.group, resource.kind) {
        case ("", "Pod"):
            return [
                name,
                Column(name: "Ready") { pod in
                    let statuses = pod[path: ["status", "containerStatuses"]]?.arrayValue ?? []
                    let total = pod[path: ["spec", "containers"]]?.arrayValue?.count ?? 0
                    return .string("\(statuses.filter { $0["ready"]?.boolValue == true }.count)/\(total)")
                },
                Column(name: "Status") { .string(PodStatusReader.displayStatus($0)) },
                Column(name: "Restarts", type: "integer") { pod in
                    .int((pod[path: ["status", "containerStatuses"]]?.arrayValue ?? []).reduce(0) { $0 + ($1["restartCount"]?.intValue ?? 0) })
                },
                age,
            ]
        case ("apps", "Deployment"):
            return [
                name,
                Column(name: "Ready") { .string("\(int(["status", "readyReplicas"])($0))/\(int(["spec", "replicas"])($0))") },
                Column(name: "Up-to-date", type: "integer") { .int(int(["status", "updatedReplicas"])($0)) },
                Column(name: "Available", type: "integer") { .int(int(["status", "availableReplicas"])($0)) },
                age,
            ]
        case ("apps", "ReplicaSet"):
            return [
                name,
                Column(name: "Desired", type: "integer") { .int(int(["spec", "replicas"])($0)) },
                Column(name: "Current", type: "integer") { .int(int(["status", "replicas"])($0)) },
                Column(name: "Ready", type: "integer") { .int(int(["status", "readyReplicas"])($0)) },
                age,
            ]
        case ("apps", "StatefulSet"):
            return [name, Column(name: "Ready") { .string("\(int(["status", "readyReplicas"])($0))/\(int(["spec", "replicas"])($0))") }, age]
        case ("batch", "Job"):
            return [
                name,
                Column(name: "Status") { job in
                    let conditions = job[path: ["status", "conditions"]]?.arrayValue ?? []
                    if conditions.contains(where: { $0["type"] == "Complete" && $0["status"] == "True" }) { return "Complete" }
                    if conditions.contains(where: { $0["type"] == "Failed" && $0["status"] == "True" }) { return "Failed" }
                    return "Running"
                },
                Column(name: "Completions") { .string("\(int(["status", "succeeded"])($0))/\(int(["spec", "completions"])($0))") },
                age,
            ]
        case ("", "Service"):
            return [
                name,
                Column(name: "Type") { $0[path: ["spec", "type"]] ?? "ClusterIP" },
                Column(name: "Cluster-IP") { $0[path: ["spec", "clusterIP"]] ?? "<none>" },
                Column(name: "External-IP") { service in
                    let ingress = service[path: ["status", "loadBalancer", "ingress"]]?.arrayValue ?? []
                    let addresses = ingress.compactMap { $0["ip"]?.stringValue ?? $0["hostname"]?.stringValue }
                    return .string(addresses.isEmpty ? (service[path: ["spec", "type"]] == "LoadBalancer" ? "<pending>" : "<none>") : addresses.joined(separator: ","))
                },
                Column(name: "Port(s)") { service in
                    let ports = service[path: ["spec", "ports"]]?.arrayValue ?? []
                    return .string(ports.map { "\($0["port"]?.intValue ?? 0)/\($0["protocol"]?.stringValue ?? "TCP")" }.joined(separator: ","))
                },
                age,
            ]
        case ("", "ConfigMap"), ("", "Secret"):
            var columns = [name]
            if resource.kind == "Secret" { columns.append(Column(name: "Type") { $0["type"] ?? "Opaque" }) }
            columns.append(Column(name: "Data", type: "integer") { .int(Int64(($0["data"]?.objectValue?.count ?? 0) + ($0["binaryData"]?.objectValue?.count ?? 0))) })
            columns.append(age)
            return columns
        case ("", "Namespace"):
            return [name, Column(name: "Status") { $0[path: ["status", "phase"]] ?? "Active" }, age]
        case ("", "Event"):
            // The real server's columns for events: the name and the details behind priority 1.
            func last(_ event: JSONValue) -> String? {
                event["lastTimestamp"]?.stringValue ?? event[path: ["series", "lastObservedTime"]]?.stringValue ?? event["eventTime"]?.stringValue
                    ?? event["firstTimestamp"]?.stringValue ?? event[path: ["metadata", "creationTimestamp"]]?.stringValue
            }
            return [
                Column(name: "Last Seen") { .string(Self.age(last($0))) },
                Column(name: "Type") { $0["type"] ?? "" },
                Column(name: "Reason") { $0["reason"] ?? "" },
                Column(name: "Object") { event in
                    let kind = event[path: ["involvedObject", "kind"]]?.stringValue?.lowercased() ?? ""
                    return .string("\(kind)/\(event[path: ["involvedObject", "name"]]?.stringValue ?? "")")
                },
                Column(name: "Subobject", priority: 1) { $0[path: ["involvedObject", "fieldPath"]] ?? "" },
                Column(name: "Source", priority: 1) { event in
                    .string(event[path: ["source", "component"]]?.stringValue ?? event["reportingComponent"]?.stringValue ?? "")
                },
                Column(name: "Message") { $0["message"] ?? "" },
                Column(name: "First Seen", priority: 1) { event in
                    .string(Self.age(event["firstTimestamp"]?.stringValue ?? event["eventTime"]?.stringValue))
                },
                Column(name: "Count", type: "integer", priority: 1) { .int($0["count"]?.intValue ?? 1) },
                Column(name: "Name", format: "name", priority: 1) { .string($0.name ?? "") },
            ]
        case ("networking.k8s.io", "Ingress"):
            return [
                name,
                Column(name: "Class") { $0[path: ["spec", "ingressClassName"]] ?? "<none>" },
                Column(name: "Hosts") { ingress in
                    let hosts = (ingress[path: ["spec", "rules"]]?.arrayValue ?? []).compactMap { $0["host"]?.stringValue }
                    return .string(hosts.isEmpty ? "*" : hosts.joined(separator: ","))
                },
                Column(name: "Address") { ingress in
                    let entries = ingress[path: ["status", "loadBalancer", "ingress"]]?.arrayValue ?? []
                    return .string(entries.compactMap { $0["ip"]?.stringValue ?? $0["hostname"]?.stringValue }.joined(separator: ","))
                },
                Column(name: "Ports") { ingress in .string((ingress[path: ["spec", "tls"]]?.arrayValue?.isEmpty ?? true) ? "80" : "80, 443") },
                age,
            ]
        case ("", "PersistentVolumeClaim"):
            return [name, Column(name: "Status") { $0[path: ["status", "phase"]] ?? "Pending" }, Column(name: "Volume") { $0[path: ["spec", "volumeName"]] ?? "" }, age]
        default:
            return [name, age]
        }
    }

    static func age(_ timestamp: String?) -> String {
        guard let timestamp, let date = Timestamps.parse(timestamp) else { return "<unknown>" }
        let seconds = max(0, Int(Date().timeIntervalSince(date)))
        switch seconds {
        case ..<120: return "\(seconds)s"
        case ..<(60 * 60): return "\(seconds / 60)m"
        case ..<(48 * 3600): return "\(seconds / 3600)h"
        default: return "\(seconds / 86400)d"
        }
    }
}

/// RFC 3339 timestamps at second precision, as Kubernetes writes them.
enum Timestamps {
    static func now() -> String { format(Date()) }

    static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// Also reads `metav1.MicroTime` (`2026-12-06T21:09:08.123456Z`, an Event's `eventTime`), to the second.
    static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        guard let dot = text.firstIndex(of: ".") else { return nil }
        let rest = text[text.index(after: dot)...].drop { $0.isNumber }
        return try? Date(String(text[..<dot] + rest), strategy: .iso8601)
    }
}
