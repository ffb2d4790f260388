import KubeModel
import Manifests

/// An object the application's inventory lists, with what its live annotations say about pruning.
///
/// Pruning reads the live object, not the manifest (which is gone from the new revision): a user can
/// protect an object by annotating it in the cluster.
public struct InventoryObject: Sendable, Hashable {
    /// Which object.
    public var identity: ObjectIdentity
    /// False when the live object says `Prune=false`: it is never pruned.
    public var prune: Bool
    /// True when the live object says `PruneLast=true`: it is pruned after the last Sync wave.
    public var pruneLast: Bool
    /// The live object's sync wave, which orders prunes (mirrored).
    public var wave: Int

    /// An inventory entry from its parts.
    public init(identity: ObjectIdentity, prune: Bool = true, pruneLast: Bool = false, wave: Int = 0) {
        self.identity = identity
        self.prune = prune
        self.pruneLast = pruneLast
        self.wave = wave
    }

    /// An inventory entry whose options and wave are read from the live object's annotations, as
    /// for a manifest (`sync-options`, `sync-wave`, else `helm.sh/hook-weight`).
    public init(identity: ObjectIdentity, live: JSONValue) {
        var annotations = live.annotations
        // The only annotation that can make reading fail; it has nothing to do with pruning, and a bad
        // value must not make Sluice forget a `Prune=false`.
        annotations[SyncSettings.Key.hookTimeout] = nil
        let settings: SyncSettings
        do {
            settings = try SyncSettings(annotations: annotations)
        } catch {
            settings = SyncSettings(options: SyncOptions(prune: false))
        }
        self.init(identity: identity, prune: settings.options.prune, pruneLast: settings.options.pruneLast, wave: settings.wave)
    }
}
