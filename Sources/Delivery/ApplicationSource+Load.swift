import Foundation
import GitSource
import KubeModel
import Manifests

extension ApplicationSource {
    /// An application's revision as loaded: its manifests, whether Kustomize rendered them, the
    /// files under its path (to say what they are when none is a manifest), and whether the path
    /// exists at all.
    public struct Loaded: Sendable {
        public var manifests: ManifestSet
        public var rendered: Bool
        public var files: [String]
        public var pathExists: Bool
    }

    /// The manifests at `revision`. Reads only the files under the application's path, and the
    /// whole tree only for a Kustomize overlay, which may reach outside it (`../../base`), or a Helm
    /// chart whose values files do.
    ///
    /// - Parameters:
    ///   - releaseName: a chart's release name when the settings give none (the application's name).
    ///   - capabilities: what the target cluster is, asked only when the path holds a chart that
    ///     Helm renders (a failure to ask is thrown: the cluster is unreachable, not the revision bad).
    public func load(
        at revision: String, releaseName: String? = nil, capabilities: (@Sendable () async throws -> HelmCapabilities)? = nil
    ) async throws -> Loaded {
        var snapshot = try await mirror.snapshot(at: revision, under: path)
        let pathExists = path.isEmpty || !snapshot.files.isEmpty || !snapshot.submodules.isEmpty
        let files = snapshot.files.map(\.path)
        let kustomized = snapshot.files.contains(where: { Self.isKustomization($0.path) })
        let charted = snapshot.files.contains(where: { Self.isChart($0.path) })
        var options = loadOptions
        if charted, options.helm.enabled {
            if options.helm.releaseName == nil { options.helm.releaseName = releaseName }
            if options.helmCapabilities == nil, let capabilities { options.helmCapabilities = try await capabilities() }
            if options.helmHome == nil { options.helmHome = helmHome }
        }
        // A Kustomize overlay (`../../base`) or a chart's values file (`../values/prod.yaml`) may
        // reach outside the path: then read the whole tree.
        let reachesOut = kustomized || (charted && options.helm.valueFiles.contains { $0.split(separator: "/").contains("..") })
        if !path.isEmpty, reachesOut {
            snapshot = try await mirror.snapshot(at: revision, under: "")
        }
        return Loaded(
            manifests: try await parse(snapshot.files, options: options), rendered: kustomized || charted, files: files, pathExists: pathExists)
    }

    /// Where Helm keeps its repositories and the cache of chart dependencies: `helm` in the state
    /// directory that holds the mirror.
    var helmHome: String {
        let mirrors = (mirror.path as NSString).deletingLastPathComponent
        return ((mirrors as NSString).deletingLastPathComponent as NSString).appendingPathComponent("helm")
    }

    func parse(_ repositoryFiles: [RepositoryFile], options: LoadOptions? = nil) async throws -> ManifestSet {
        let files = repositoryFiles.map { ManifestFile(path: $0.path, bytes: Array($0.contents)) }
        let path = self.path
        let options = options ?? loadOptions
        return try await Self.offPool { () throws(ManifestError) -> ManifestSet in
            try ManifestLoader.load(files: files, applicationPath: path, options: options)
        }
    }

    static func isChart(_ path: String) -> Bool {
        (path.split(separator: "/").last.map(String.init) ?? path) == "Chart.yaml"
    }

    static func isKustomization(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return name == "kustomization.yaml" || name == "kustomization.yml" || name == "Kustomization"
    }

    /// Runs blocking work (file parsing, Kustomize) on a thread of its own, off the cooperative pool.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws(ManifestError) -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    continuation.resume(returning: try work())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
