import KubeModel
import Manifests

/// One step of a sync: one object applied in one phase and wave.
///
/// A normal object is one Sync-phase task at its wave; a hook is one task per phase it lists. The
/// task's name is the object's name, or for a hook without one the name derived for this attempt
/// (see ``HookName``), so the engine can find the object again.
public struct SyncTask: Sendable, Hashable, CustomStringConvertible {
    /// The phase the task runs in.
    public var phase: HookPhase
    /// The wave within the phase. Usually the object's own; a Namespace or CustomResourceDefinition
    /// pulled forward by ``TaskOrder`` takes the wave of the task it moved before.
    public var wave: Int
    /// The object as loaded, with its settings.
    public var manifest: Manifest
    /// The name the object is applied under.
    public var name: String
    /// True for a hook.
    public var isHook: Bool
    /// True for an object that is not applied at all (`Skip`, a hook of a phase Sluice does not run),
    /// listed so plans and the ledger can report it.
    public var isSkipped: Bool

    /// A task from its parts; ``TaskPlanner`` makes them from a revision's manifests.
    public init(phase: HookPhase, wave: Int, manifest: Manifest, name: String? = nil, isHook: Bool? = nil, isSkipped: Bool = false) {
        self.phase = phase
        self.wave = wave
        self.manifest = manifest
        self.name = name ?? manifest.identity.name
        self.isHook = isHook ?? manifest.settings.isHook
        self.isSkipped = isSkipped
    }

    /// The object's kind.
    public var kind: String { manifest.identity.kind }

    /// The object's group and kind.
    public var groupKind: GroupKind { manifest.identity.groupKind }

    /// The object's namespace; empty for cluster-scoped objects.
    public var namespace: String { manifest.identity.namespace }

    /// The identity of the object this task applies: the manifest's, with the task's name.
    public var identity: ObjectIdentity {
        var identity = manifest.identity
        identity.name = name
        return identity
    }

    /// True when the name was derived for this attempt (a hook with `generateName` or no name).
    public var hasGeneratedName: Bool {
        manifest.object.name.map(\.isEmpty) ?? true
    }

    /// The object to send: the manifest's object, named ``name`` (without `generateName` when the
    /// name was derived).
    public var object: JSONValue {
        guard hasGeneratedName else { return manifest.object }
        var object = manifest.object
        object.generateName = nil
        object.name = name
        return object
    }

    /// `PHASE/WAVE KIND NAMESPACE/NAME`, for logs and test failures.
    public var description: String {
        "\(phase)/\(wave) \(kind) \(namespace.isEmpty ? "" : namespace + "/")\(name)"
    }
}
