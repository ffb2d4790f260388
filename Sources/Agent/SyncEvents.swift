import Foundation
import KubeClient
import KubeModel
import Ledger
import SyncEngine

/// Kubernetes Events for each sync outcome, on the application's inventory ConfigMap, so that
/// `kubectl describe configmap sluice-inventory-APP` and `kubectl get events` show what happened.
struct SyncEvents: Sendable {
    let client: KubeClient

    /// Records an Event for `result`; failures to record are returned, never thrown (the sync happened).
    func record(_ result: SyncResult, revision: String, configuration: SyncConfiguration) async -> KubeClientError? {
        let (reason, type): (String, String)
        switch result.outcome {
        case .succeeded: (reason, type) = ("SyncSucceeded", "Normal")
        case .unchanged: (reason, type) = ("SyncUnchanged", "Normal")
        case .failed: (reason, type) = ("SyncFailed", "Warning")
        case .superseded: (reason, type) = ("SyncSuperseded", "Normal")
        case .interrupted: (reason, type) = ("SyncInterrupted", "Warning")
        case .running: return nil
        }
        let short = String(revision.prefix(12))
        var message = "\(configuration.app) \(short): \(result.outcome.rawValue)"
        if !result.message.isEmpty { message += ": \(result.message)" }
        return await create(reason: reason, type: type, message: message, configuration: configuration)
    }

    /// Creates one Event on the inventory ConfigMap.
    func create(reason: String, type: String, message: String, configuration: SyncConfiguration) async -> KubeClientError? {
        let store = InventoryStore(client: client, app: configuration.app, namespace: configuration.inventoryNamespace)
        var message = message
        if message.utf8.count > 1024 { message = String(message.prefix(1000)) + "…" }
        let now = RFC3339Time.now()
        var event: JSONValue = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["generateName": .string(store.name + "."), "namespace": .string(configuration.inventoryNamespace)],
            "involvedObject": [
                "apiVersion": "v1", "kind": "ConfigMap", "name": .string(store.name), "namespace": .string(configuration.inventoryNamespace),
            ],
            "reason": .string(reason), "type": .string(type), "message": .string(message),
            "source": ["component": "sluice"], "reportingComponent": "sluice.dev/agent",
            "reportingInstance": .string(ProcessInfo.processInfo.environment["HOSTNAME"] ?? "sluice"),
            "firstTimestamp": .string(now), "lastTimestamp": .string(now), "count": 1,
        ]
        // `kubectl describe` finds an object's Events by its uid: name the ConfigMap's.
        if let live = try? await client.get(GroupVersionKind(group: "", version: "v1", kind: "ConfigMap"), namespace: configuration.inventoryNamespace, name: store.name) {
            event[path: ["involvedObject", "uid"]] = live.uid.map(JSONValue.string)
            event[path: ["involvedObject", "resourceVersion"]] = live.resourceVersion.map(JSONValue.string)
        }
        do {
            _ = try await client.create(event)
            return nil
        } catch {
            return error
        }
    }
}

extension SyncEvents {
    /// Records a `DriftDetected` Warning naming the drifted objects.
    func recordDrift(_ objects: [String], revision: String, configuration: SyncConfiguration, healing: Bool) async -> KubeClientError? {
        let listed = objects.prefix(10).joined(separator: ", ") + (objects.count > 10 ? ", …" : "")
        let message = "\(objects.count) object\(objects.count == 1 ? "" : "s") differ from \(revision.prefix(12))\(healing ? ", re-applying" : ""): \(listed)"
        return await create(reason: "DriftDetected", type: "Warning", message: message, configuration: configuration)
    }
}

/// RFC 3339 timestamps in UTC with whole seconds, as Kubernetes writes `metav1.Time`.
enum RFC3339Time {
    static func now() -> String {
        Date().formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }
}
