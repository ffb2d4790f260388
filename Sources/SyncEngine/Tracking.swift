import Crypto
import KubeModel
import Manifests

/// How Sluice marks the objects it applies (DESIGN.md, "State").
public enum Tracking {
    /// The annotation naming the owning application and the object: `<app>:<group>/<kind>:<ns>/<name>`.
    public static let annotation = "sluice.dev/tracking-id"
    /// The label every applied object carries.
    public static let managedByLabel = "app.kubernetes.io/managed-by"
    /// The label's value.
    public static let managedByValue = "sluice"
    /// The label selector for objects Sluice manages.
    public static let selector = "\(managedByLabel)=\(managedByValue)"
    /// The finalizer a hook carries while it runs, so it cannot vanish before its result is read.
    public static let hookFinalizer = "sluice.dev/hook-finalizer"

    /// The annotation holding the SHA-256 of the object as Sluice last applied it (without this
    /// annotation): a live object that carries the digest of what a sync would send and still holds
    /// every field of it with its value would not change if applied again, so it is not sent (nor
    /// dry-run) again. Hooks do not carry it: they are created anew.
    public static let digestAnnotation = "sluice.dev/applied-digest"

    /// The annotation on a live object that lets another application take it over: with the value
    /// `"true"`, an object tracked by one application may be applied by another (which then tracks
    /// it). Without it, such a sync is refused (Argo CD's SharedResourceWarning, made safe).
    public static let allowSharedAnnotation = "sluice.dev/allow-shared"

    /// The application whose tracking id the live object carries for `identity`; `nil` when it
    /// carries none, or one naming another object (an annotation copied along with a manifest).
    public static func owner(of live: JSONValue, _ identity: ObjectIdentity) -> String? {
        guard let id = live.annotations[annotation] else { return nil }
        let object = ":\(identity.group)/\(identity.kind):\(identity.namespace)/\(identity.name)"
        guard id.hasSuffix(object), id.utf8.count > object.utf8.count else { return nil }
        return String(id.dropLast(object.count))
    }

    /// True when the live object says it may be shared (``allowSharedAnnotation`` is `"true"`).
    public static func allowsSharing(_ live: JSONValue) -> Bool {
        live.annotations[allowSharedAnnotation]?.lowercased() == "true"
    }

    /// The tracking id of `identity` in `app`.
    public static func id(app: String, _ identity: ObjectIdentity) -> String {
        "\(app):\(identity.group)/\(identity.kind):\(identity.namespace)/\(identity.name)"
    }

    /// The object as sent: in the namespace its identity names (the application's default namespace
    /// when the manifest names none, which may differ from the client's), with the tracking
    /// annotation and managed-by label, and for a hook the finalizer.
    static func marked(_ object: JSONValue, app: String, identity: ObjectIdentity, hook: Bool) -> JSONValue {
        var object = object
        if !identity.namespace.isEmpty, (object.namespace ?? "").isEmpty { object.namespace = identity.namespace }
        var labels = object.labels
        labels[managedByLabel] = managedByValue
        object.labels = labels
        var annotations = object.annotations
        annotations[annotation] = id(app: app, identity)
        object.annotations = annotations
        if hook, !object.finalizers.contains(hookFinalizer) {
            object.finalizers = object.finalizers + [hookFinalizer]
        } else if !hook {
            annotations[digestAnnotation] = nil
            object.annotations = annotations
            annotations[digestAnnotation] = digest(object)
            object.annotations = annotations
        }
        return object
    }

    /// The hex SHA-256 of the object's canonical JSON (keys sorted).
    static func digest(_ object: JSONValue) -> String {
        SHA256.hash(data: object.serializedBytes()).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// True when applying `marked` (an object as ``marked(_:app:identity:hook:)`` returns it) over
    /// `live` would change nothing: the live object carries the digest of `marked`, so Sluice last
    /// applied exactly this (no field it then set has been dropped since), and still holds every
    /// field of it with the same value (nobody changed one since).
    static func isInPlace(_ marked: JSONValue, live: JSONValue) -> Bool {
        guard let digest = marked.annotations[digestAnnotation], live.annotations[digestAnnotation] == digest,
            live[path: ["metadata", "deletionTimestamp"]] == nil
        else { return false }
        return marked.isContained(in: live)
    }

    /// The identity of a live object of `groupKind` (its namespace, name).
    static func identity(of live: JSONValue, groupKind: GroupKind) -> ObjectIdentity {
        ObjectIdentity(group: groupKind.group, kind: groupKind.kind, namespace: live.namespace ?? "", name: live.name ?? "")
    }
}
