import KubeModel
import Manifests

/// What of a revision's manifests may be kept in the ledger: everything but the values of Secrets.
///
/// Secrets never reach the ledger (DESIGN.md). A Secret's `data` and `stringData` values are
/// replaced by a fixed placeholder; its keys, labels and annotations stay, so `show` and `diff`
/// still say which Secret and which keys a revision had.
public enum Redaction {
    /// The placeholder that replaces each Secret value.
    public static let placeholder = "(redacted by sluice)"

    /// The object with a Secret's values replaced; other kinds unchanged.
    public static func redacted(_ object: JSONValue) -> JSONValue {
        guard object.kind == "Secret", object.apiVersion == "v1" else { return object }
        var object = object
        for field in ["data", "stringData"] {
            guard let values = object[field]?.objectValue else { continue }
            object[field] = .object(values.mapValues { _ in .string(placeholder) })
        }
        return object
    }

    /// True for a Secret whose values were redacted (read back from the ledger).
    public static func isRedacted(_ object: JSONValue) -> Bool {
        guard object.kind == "Secret", object.apiVersion == "v1" else { return false }
        return ["data", "stringData"].contains { field in
            object[field]?.objectValue?.values.contains { $0.stringValue == placeholder } ?? false
        }
    }

    /// The canonical YAML of a revision's manifests as the ledger stores it, Secrets redacted.
    public static func ledgerText(_ manifests: ManifestSet) -> String {
        var copy = manifests
        copy.manifests = manifests.manifests.map { manifest in
            var manifest = manifest
            manifest.object = redacted(manifest.object)
            return manifest
        }
        return copy.canonicalYAML
    }
}
