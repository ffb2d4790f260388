import KubeModel

/// `events.k8s.io/v1` and core `v1` Events are two views of one resource, as on a real API
/// server: stored once (in the core form), each served in its own field names, so an Event
/// recorded through `events.k8s.io/v1` shows in `kubectl get events` and `kubectl describe`.
///
/// The field names differ as Kubernetes' conversion (`pkg/apis/events/v1`) renames them:
/// `regarding` ↔ `involvedObject`, `note` ↔ `message`, `reportingController` ↔
/// `reportingComponent`, and `deprecatedSource`/`deprecatedFirstTimestamp`/
/// `deprecatedLastTimestamp`/`deprecatedCount` ↔ `source`/`firstTimestamp`/`lastTimestamp`/`count`;
/// `eventTime`, `series`, `action`, `reason`, `type`, `related` and `reportingInstance` are the same.
enum EventVersions {
    static let core = GroupResource(group: "", resource: "events")
    static let eventsV1 = GroupResource(group: "events.k8s.io", resource: "events")
    static let eventsV1APIVersion = "events.k8s.io/v1"

    /// (events.k8s.io/v1 name, core/v1 name).
    static let renamed: [(String, String)] = [
        ("regarding", "involvedObject"), ("note", "message"), ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"), ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"), ("deprecatedCount", "count"),
    ]

    /// Where objects of `resource` are kept: events.k8s.io Events with the core ones.
    static func storage(for resource: GroupResource) -> GroupResource {
        resource == eventsV1 ? core : resource
    }

    /// An events.k8s.io/v1 Event in its core/v1 form; anything else unchanged.
    static func toCore(_ object: JSONValue) -> JSONValue {
        guard object.apiVersion == eventsV1APIVersion, object.kind == "Event", var members = object.objectValue else { return object }
        for (new, old) in renamed {
            if let value = members.removeValue(forKey: new) { members[old] = value }
        }
        members["apiVersion"] = "v1"
        return .object(members)
    }

    /// A core/v1 Event in its events.k8s.io/v1 form; anything else unchanged.
    static func toEventsV1(_ object: JSONValue) -> JSONValue {
        guard object.apiVersion == "v1", object.kind == "Event", var members = object.objectValue else { return object }
        for (new, old) in renamed {
            if let value = members.removeValue(forKey: old) { members[new] = value }
        }
        members["apiVersion"] = .string(eventsV1APIVersion)
        return .object(members)
    }

    /// `object` (stored in the core form) as a request to `resource` sees it.
    static func view(_ object: JSONValue, as resource: GroupResource) -> JSONValue {
        resource == eventsV1 ? toEventsV1(object) : object
    }
}
