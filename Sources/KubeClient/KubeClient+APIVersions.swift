import KubeModel
import Synchronization

/// The last answer of ``KubeClient/apiVersions(maxAge:)``, shared by every load of one client: an
/// agent renders each Helm application at every sync and drift check, and each reading costs a
/// request per served group version.
final class APIVersionsCache: Sendable {
    struct Entry: Sendable {
        var at: ContinuousClock.Instant
        var value: (kubeVersion: String, apiVersions: [String])
    }
    private let entry = Mutex<Entry?>(nil)

    func fresh(maxAge: Duration) -> (kubeVersion: String, apiVersions: [String])? {
        entry.withLock { entry in
            guard let found = entry, ContinuousClock.now - found.at < maxAge else { return nil }
            return found.value
        }
    }

    func keep(_ value: (kubeVersion: String, apiVersions: [String]), readAt: ContinuousClock.Instant) {
        entry.withLock { $0 = Entry(at: readAt, value: value) }
    }

    func invalidate() {
        entry.withLock { $0 = nil }
    }

    /// Kinds whose writes change what the server serves.
    static func changesServedAPIs(_ kind: String?, group: String?) -> Bool {
        (kind == "CustomResourceDefinition" && group == "apiextensions.k8s.io") || (kind == "APIService" && group == "apiregistration.k8s.io")
    }
}

extension KubeClient {
    /// How long ``apiVersions(maxAge:)`` answers from what it last read, by default.
    public static let apiVersionsMaxAge: Duration = .seconds(60)

    /// What the server is, as Helm's `.Capabilities` reads it and Argo CD passes it to `helm
    /// template`: its version (`/version`'s `gitVersion`) and every API version it serves, each as
    /// `group/version` (`v1` for the core group) and as `group/version/Kind` for each of its kinds,
    /// sorted. Reads `/version`, `/api`, `/apis` and each group version's resource list (all at once),
    /// then answers from that reading for `maxAge`, or until this client writes or deletes a
    /// CustomResourceDefinition or an APIService (which change what is served).
    public func apiVersions(maxAge: Duration = KubeClient.apiVersionsMaxAge) async throws(KubeClientError) -> (kubeVersion: String, apiVersions: [String]) {
        if let cached = apiVersionsCache.fresh(maxAge: maxAge) { return cached }
        let readAt = ContinuousClock.now
        let value = try await readAPIVersions()
        apiVersionsCache.keep(value, readAt: readAt)
        return value
    }

    /// Forgets the served API versions when `object` (written, not dry-run) is of a kind that
    /// changes them.
    func noteWrite(of kind: String?, group: String?, dryRun: Bool) {
        if !dryRun && APIVersionsCache.changesServedAPIs(kind, group: group) { apiVersionsCache.invalidate() }
    }

    func readAPIVersions() async throws(KubeClientError) -> (kubeVersion: String, apiVersions: [String]) {
        let version = try await serverVersion()
        guard let kubeVersion = version["gitVersion"]?.stringValue, !kubeVersion.isEmpty else {
            throw KubeClientError(.other, "the server version: the answer has no gitVersion")
        }
        var groupVersions: [String] = []
        let core = try await request("GET", "/api", idempotent: true, object: "the core API versions")
        groupVersions += core["versions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let groups = try await request("GET", "/apis", idempotent: true, object: "the API groups")
        for group in groups["groups"]?.arrayValue ?? [] {
            groupVersions += group["versions"]?.arrayValue?.compactMap { $0["groupVersion"]?.stringValue } ?? []
        }
        let kinds: [(String, [String])]
        do {
            kinds = try await withThrowingTaskGroup(of: (String, [String]).self) { tasks in
                for groupVersion in groupVersions {
                    tasks.addTask {
                        let path = groupVersion.contains("/") ? "/apis/\(groupVersion)" : "/api/\(groupVersion)"
                        let list = try await self.request("GET", path, idempotent: true, object: "the resources of \(groupVersion)")
                        let names = list["resources"]?.arrayValue?.compactMap { resource -> String? in
                            guard let name = resource["name"]?.stringValue, !name.contains("/") else { return nil }
                            return resource["kind"]?.stringValue
                        } ?? []
                        return (groupVersion, names)
                    }
                }
                var all: [(String, [String])] = []
                for try await entry in tasks { all.append(entry) }
                return all
            }
        } catch let error as KubeClientError {
            throw error
        } catch {
            throw KubeClientError(.other, "the API versions: \(error)")
        }
        var versions = Set(groupVersions)
        for (groupVersion, names) in kinds {
            for kind in names { versions.insert("\(groupVersion)/\(kind)") }
        }
        return (kubeVersion, versions.sorted())
    }
}
