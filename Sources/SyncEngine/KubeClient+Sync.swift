import KubeClient
import KubeModel
import Manifests

// Small forms of the client's calls that treat "already so" as success, written with typed throws
// so callers need no error patterns of their own.
extension KubeClient {
    /// The object, or `nil` when it does not exist.
    func getIfPresent(_ gvk: GroupVersionKind, _ identity: ObjectIdentity) async throws(KubeClientError) -> JSONValue? {
        do {
            return try await get(gvk, namespace: identity.namespace.isEmpty ? nil : identity.namespace, name: identity.name)
        } catch {
            if error.code == .notFound { return nil }
            throw error
        }
    }

    /// Deletes the object; true when there was one to delete.
    @discardableResult
    func deleteIfPresent(_ gvk: GroupVersionKind, _ identity: ObjectIdentity) async throws(KubeClientError) -> Bool {
        do {
            try await delete(gvk, namespace: identity.namespace.isEmpty ? nil : identity.namespace, name: identity.name, propagation: .background)
            return true
        } catch {
            if error.code == .notFound { return false }
            throw error
        }
    }

    /// Creates the namespace unless it exists.
    public func ensureNamespace(_ name: String) async throws(KubeClientError) {
        do {
            _ = try await create(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
        } catch {
            if error.code == .alreadyExists { return }
            throw error
        }
    }

    /// A merge patch; `false` on a conflict (the caller reads again and retries), `nil`-safe on a missing object.
    func mergePatchUnlessConflict(_ gvk: GroupVersionKind, _ identity: ObjectIdentity, patch: JSONValue) async throws(KubeClientError) -> Bool {
        do {
            _ = try await mergePatch(gvk, namespace: identity.namespace.isEmpty ? nil : identity.namespace, name: identity.name, patch: patch)
            return true
        } catch {
            if error.code == .notFound { return true }
            if error.code == .conflict { return false }
            throw error
        }
    }
}
