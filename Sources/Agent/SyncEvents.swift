import Foundation
import KubeClient
import KubeModel
import Ledger
import SyncEngine

/// Kubernetes Events for each sync outcome, on the application's inventory ConfigMap, so that
/// `kubectl describe configmap sluice-inventory-APP` and `kubectl get events` show what happened.
///
/// They are recorded as client-go's events recorder records them: through `events.k8s.io/v1`
/// when the server serves it (discovery), with `regarding`, `note`, `action`, `eventTime` in
/// microseconds, `reportingController` `sluice.dev/agent` and `reportingInstance` the agent's
/// identity (the leader-election holder identity), named `<object>.<unix nanoseconds in hex>`;
/// otherwise through core `v1`, as older servers take them. Both are views of one resource, so
/// `kubectl get events` shows them either way.
struct SyncEvents: Sendable {
    let client: KubeClient
    /// `reportingInstance`: this replica, as its Lease names it.
    var instance: String = LeaderElection.defaultIdentity()

    static let reportingController = "sluice.dev/agent"
    static let eventsV1 = GroupVersionKind(group: "events.k8s.io", version: "v1", kind: "Event")

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
        return await create(reason: reason, type: type, action: "Sync", message: message, configuration: configuration)
    }

    /// Creates one Event on the inventory ConfigMap.
    func create(reason: String, type: String, action: String, message: String, configuration: SyncConfiguration) async -> KubeClientError? {
        let store = InventoryStore(client: client, app: configuration.app, namespace: configuration.inventoryNamespace)
        var message = message
        if message.utf8.count > 1024 { message = String(message.prefix(1000)) + "…" }
        let now = Date()
        var regarding: JSONValue = [
            "apiVersion": "v1", "kind": "ConfigMap", "name": .string(store.name), "namespace": .string(configuration.inventoryNamespace),
        ]
        // `kubectl describe` finds an object's Events by its uid: name the ConfigMap's.
        if let live = try? await client.get(GroupVersionKind(group: "", version: "v1", kind: "ConfigMap"), namespace: configuration.inventoryNamespace, name: store.name) {
            regarding["uid"] = live.uid.map(JSONValue.string)
            regarding["resourceVersion"] = live.resourceVersion.map(JSONValue.string)
        }
        let instance = String(self.instance.prefix(128))
        let metadata: JSONValue = ["name": .string(Self.eventName(for: store.name, at: now)), "namespace": .string(configuration.inventoryNamespace)]
        let event: JSONValue
        if await servesEventsV1() {
            event = [
                "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": metadata,
                "regarding": regarding, "reason": .string(reason), "type": .string(type), "note": .string(message),
                "action": .string(action), "eventTime": .string(MicroTime.string(from: now)),
                "reportingController": .string(Self.reportingController), "reportingInstance": .string(instance),
            ]
        } else {
            let stamp = RFC3339Time.string(from: now)
            event = [
                "apiVersion": "v1", "kind": "Event", "metadata": metadata,
                "involvedObject": regarding, "reason": .string(reason), "type": .string(type), "message": .string(message),
                "source": ["component": "sluice"], "reportingComponent": .string(Self.reportingController),
                "reportingInstance": .string(instance), "firstTimestamp": .string(stamp), "lastTimestamp": .string(stamp), "count": 1,
            ]
        }
        do {
            _ = try await client.create(event)
            return nil
        } catch {
            return error
        }
    }

    /// Whether the server serves `events.k8s.io/v1` (discovery, cached by the client).
    func servesEventsV1() async -> Bool {
        (try? await client.mapping(for: Self.eventsV1)) != nil
    }

    /// client-go's Event name: the object's name, a dot, the time in Unix nanoseconds in hex.
    static func eventName(for object: String, at time: Date) -> String {
        let nanoseconds = UInt64(max(0, time.timeIntervalSince1970 * 1_000_000_000))
        return "\(object).\(String(nanoseconds, radix: 16))"
    }
}

extension SyncEvents {
    /// Records a `DriftDetected` Warning naming the drifted objects.
    func recordDrift(_ objects: [String], revision: String, configuration: SyncConfiguration, healing: Bool) async -> KubeClientError? {
        let listed = objects.prefix(10).joined(separator: ", ") + (objects.count > 10 ? ", …" : "")
        let message = "\(objects.count) object\(objects.count == 1 ? "" : "s") differ from \(revision.prefix(12))\(healing ? ", re-applying" : ""): \(listed)"
        return await create(reason: "DriftDetected", type: "Warning", action: "DetectDrift", message: message, configuration: configuration)
    }
}

/// RFC 3339 timestamps in UTC with whole seconds, as Kubernetes writes `metav1.Time`.
enum RFC3339Time {
    static func now() -> String {
        string(from: Date())
    }

    static func string(from date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }
}

/// RFC 3339 timestamps in UTC with microseconds, as Kubernetes writes `metav1.MicroTime`
/// (`2026-12-06T21:09:08.123456Z`).
enum MicroTime {
    static func string(from date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let micros = min(999_999, max(0, Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded(.down))))
        let whole = Date(timeIntervalSince1970: seconds).formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
        let digits = String(micros)
        return String(whole.dropLast()) + "." + String(repeating: "0", count: 6 - digits.count) + digits + "Z"
    }
}
