/// A Kubernetes API group and version, as written in `apiVersion` (`v1`, `apps/v1`).
public struct GroupVersion: Sendable, Hashable, CustomStringConvertible {
    /// The API group; empty for the core group.
    public var group: String
    /// The version within the group.
    public var version: String

    public init(group: String, version: String) {
        self.group = group
        self.version = version
    }

    /// Parses an `apiVersion` value: `v1` is the core group, `apps/v1` the `apps` group.
    public init?(apiVersion: String) {
        let parts = apiVersion.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1 where !parts[0].isEmpty:
            self.init(group: "", version: String(parts[0]))
        case 2 where !parts[0].isEmpty && !parts[1].isEmpty:
            self.init(group: String(parts[0]), version: String(parts[1]))
        default:
            return nil
        }
    }

    /// The `apiVersion` text.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    public var description: String { apiVersion }
}

/// A kind within a group and version: what `apiVersion` and `kind` together name.
public struct GroupVersionKind: Sendable, Hashable, CustomStringConvertible {
    /// The API group; empty for the core group.
    public var group: String
    /// The version within the group.
    public var version: String
    /// The kind, e.g. `Deployment`.
    public var kind: String

    public init(group: String, version: String, kind: String) {
        self.group = group
        self.version = version
        self.kind = kind
    }

    /// The group and version.
    public var groupVersion: GroupVersion { GroupVersion(group: group, version: version) }

    /// The group and kind, which name a kind whatever version it is read in.
    public var groupKind: GroupKind { GroupKind(group: group, kind: kind) }

    public var description: String { "\(groupVersion.apiVersion), Kind=\(kind)" }
}

/// A kind within a group, independent of version.
public struct GroupKind: Sendable, Hashable, CustomStringConvertible {
    /// The API group; empty for the core group.
    public var group: String
    /// The kind.
    public var kind: String

    public init(group: String, kind: String) {
        self.group = group
        self.kind = kind
    }

    /// `Kind.group`, or `Kind` for the core group, as Kubernetes prints it.
    public var description: String { group.isEmpty ? kind : "\(kind).\(group)" }
}

/// A resource (the plural in URL paths) within a group: `deployments.apps`.
public struct GroupResource: Sendable, Hashable, CustomStringConvertible {
    /// The API group; empty for the core group.
    public var group: String
    /// The plural resource name, e.g. `deployments`.
    public var resource: String

    public init(group: String, resource: String) {
        self.group = group
        self.resource = resource
    }

    /// `resource.group`, or `resource` for the core group, as Kubernetes prints it in errors.
    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }
}
