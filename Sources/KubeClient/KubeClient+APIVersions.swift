import KubeModel

extension KubeClient {
    /// What the server is, as Helm's `.Capabilities` reads it and Argo CD passes it to `helm
    /// template`: its version (`/version`'s `gitVersion`) and every API version it serves, each as
    /// `group/version` (`v1` for the core group) and as `group/version/Kind` for each of its kinds,
    /// sorted. Reads `/version`, `/api`, `/apis` and each group version's resource list (all at once).
    public func apiVersions() async throws(KubeClientError) -> (kubeVersion: String, apiVersions: [String]) {
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
