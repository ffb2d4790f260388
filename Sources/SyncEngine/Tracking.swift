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
        }
        return object
    }

    /// The identity of a live object of `groupKind` (its namespace, name).
    static func identity(of live: JSONValue, groupKind: GroupKind) -> ObjectIdentity {
        ObjectIdentity(group: groupKind.group, kind: groupKind.kind, namespace: live.namespace ?? "", name: live.name ?? "")
    }
}
