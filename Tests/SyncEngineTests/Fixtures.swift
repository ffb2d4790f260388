import KubeModel
import Manifests
import SyncEngine
import Testing

/// A live object as the API server returns it: `apiVersion`, `kind`, `metadata` (named `name`, at
/// `generation`), `spec` and `status`.
func liveObject(
    _ apiVersion: String, _ kind: String, name: String = "example", generation: Int64 = 1,
    spec: JSONValue = [:], status: JSONValue = [:]
) -> JSONValue {
    [
        "apiVersion": .string(apiVersion), "kind": .string(kind),
        "metadata": ["name": .string(name), "namespace": "default", "generation": .int(generation)],
        "spec": spec, "status": status,
    ]
}

/// A `status.conditions` entry.
func condition(_ type: String, _ status: String, reason: String = "", message: String = "") -> JSONValue {
    ["type": .string(type), "status": .string(status), "reason": .string(reason), "message": .string(message)]
}

/// One row of a table of live objects and what is expected of them; named for test output.
struct LiveCase<Expected: Sendable>: Sendable, CustomTestStringConvertible {
    var label: String
    var live: JSONValue
    var expected: Expected

    init(_ label: String, _ live: JSONValue, _ expected: Expected) {
        self.label = label
        self.live = live
        self.expected = expected
    }

    var testDescription: String { label }
}

/// Loads manifests from YAML text, as the loader reads a repository with one file.
func loadManifests(_ yaml: String, file: String = "manifests.yaml", defaultNamespace: String? = "default") throws -> ManifestSet {
    try ManifestLoader.load(
        files: [ManifestFile(path: file, text: yaml)], options: LoadOptions(defaultNamespace: defaultNamespace))
}

/// The tasks of a plan as `PHASE/WAVE KIND NAME` lines, the way the tests compare orders.
func summary(_ tasks: [SyncTask]) -> [String] {
    tasks.map { "\($0.phase)/\($0.wave) \($0.kind) \($0.name)" }
}

/// A Sync-phase task for an object of this kind, built from a minimal manifest.
func task(
    _ kind: String, _ name: String, namespace: String = "", group: String = "", phase: HookPhase = .sync, wave: Int = 0,
    object extra: JSONValue = [:]
) -> SyncTask {
    var object: JSONValue = [
        "apiVersion": .string(group.isEmpty ? "v1" : "\(group)/v1"), "kind": .string(kind), "metadata": ["name": .string(name)],
    ]
    if !namespace.isEmpty { object.namespace = namespace }
    for (key, value) in extra.objectValue ?? [:] { object[key] = value }
    let manifest = Manifest(
        object: object, file: "test.yaml", document: 1, settings: SyncSettings(wave: wave),
        identity: ObjectIdentity(group: group, kind: kind, namespace: namespace, name: name))
    return SyncTask(phase: phase, wave: wave, manifest: manifest)
}
