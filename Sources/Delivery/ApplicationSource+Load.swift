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
    /// whole tree only for a Kustomize overlay, which may reach outside it (`../../base`).
    public func load(at revision: String) async throws -> Loaded {
        var snapshot = try await mirror.snapshot(at: revision, under: path)
        let pathExists = path.isEmpty || !snapshot.files.isEmpty || !snapshot.submodules.isEmpty
        let files = snapshot.files.map(\.path)
        let rendered = snapshot.files.contains(where: { Self.isKustomization($0.path) })
        // A Kustomize overlay reaches outside its directory (`../../base`): then read the whole tree.
        if !path.isEmpty, rendered {
            snapshot = try await mirror.snapshot(at: revision, under: "")
        }
        return Loaded(manifests: try await parse(snapshot.files), rendered: rendered, files: files, pathExists: pathExists)
    }

    func parse(_ repositoryFiles: [RepositoryFile]) async throws -> ManifestSet {
        let files = repositoryFiles.map { ManifestFile(path: $0.path, bytes: Array($0.contents)) }
        let path = self.path
        let options = loadOptions
        return try await Self.offPool { () throws(ManifestError) -> ManifestSet in
            try ManifestLoader.load(files: files, applicationPath: path, options: options)
        }
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
