import KubeClient
import KubeModel

/// Client-side apply, as `kubectl apply` without `--server-side` does it, for objects marked
/// `ServerSideApply=false` or `Validate=false` (Argo CD sends those with client-side apply): the
/// object carries its own last applied configuration in an annotation, a new object is created
/// and an existing one is sent a three-way merge patch (every field of the object, and `null`
/// for each field the last applied configuration had that the object no longer has).
///
/// The server types the object either way; `fieldValidation` says what it does with fields its
/// schema does not declare. With `Validate=false` it drops them (and says so in `Warning`
/// headers, which the ledger keeps), as `kubectl apply --validate=false` lets it.
enum ClientSideApply {
    static let annotation = "kubectl.kubernetes.io/last-applied-configuration"

    /// The object with its last applied configuration: itself without the annotation, compact
    /// JSON and a newline, as kubectl writes it.
    static func annotated(_ object: JSONValue) -> JSONValue {
        var configuration = object
        configuration[path: ["metadata", "annotations", annotation]] = nil
        var result = object
        result[path: ["metadata", "annotations", annotation]] = .string(configuration.serialized() + "\n")
        return result
    }

    /// The configuration a live object was last applied with, when it carries one.
    static func lastApplied(of live: JSONValue) -> JSONValue? {
        guard let text = live.annotations[annotation], let parsed = try? JSONValue.parse(Array(text.utf8)), parsed.objectValue != nil else {
            return nil
        }
        return parsed
    }

    /// The three-way merge patch from the last applied configuration to `desired`.
    static func patch(lastApplied: JSONValue?, desired: JSONValue) -> JSONValue {
        guard case .object(let wanted) = desired else { return desired }
        var result = wanted
        if case .object(let before)? = lastApplied {
            for (key, old) in before {
                guard let new = wanted[key] else {
                    result[key] = .null
                    continue
                }
                if case .object = new, case .object = old { result[key] = patch(lastApplied: old, desired: new) }
            }
        }
        return .object(result)
    }

    /// What `fieldValidation` a client-side write asks for: `Strict` unless the object says
    /// `Validate=false`; then `Warn`, so the server drops undeclared fields and says which.
    static func fieldValidation(validate: Bool) -> String { validate ? "Strict" : "Warn" }
}

extension KubeClient {
    /// Writes `object` with client-side apply (see ``ClientSideApply``): a create when `live` is
    /// nil (a patch when the server says it exists after all), else a three-way merge patch.
    func applyClientSide(_ object: JSONValue, live: JSONValue?, validate: Bool, dryRun: Bool) async throws(KubeClientError) -> JSONValue {
        let desired = ClientSideApply.annotated(object)
        let fieldValidation = ClientSideApply.fieldValidation(validate: validate)
        var current = live
        if current == nil {
            do {
                return try await create(desired, dryRun: dryRun, fieldValidation: fieldValidation)
            } catch {
                guard error.code == .alreadyExists, let gvk = desired.groupVersionKind, let name = desired.name else { throw error }
                current = try await get(gvk, namespace: desired.namespace, name: name)
            }
        }
        guard let gvk = desired.groupVersionKind, let name = desired.name else {
            throw KubeClientError(.invalid, "object \(object.name ?? "?"): apiVersion, kind and metadata.name must be set")
        }
        let patch = ClientSideApply.patch(lastApplied: current.flatMap(ClientSideApply.lastApplied(of:)), desired: desired)
        return try await mergePatch(gvk, namespace: desired.namespace, name: name, patch: patch, dryRun: dryRun, fieldValidation: fieldValidation)
    }
}
