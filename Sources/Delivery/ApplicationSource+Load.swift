import Foundation
import GitSource
import KubeModel
import Manifests

extension ApplicationSource {
    /// An application's revision as loaded: its manifests, whether Kustomize or Helm rendered them
    /// (and for a chart, how: ``rendering``), the files under its path (to say what they are when
    /// none is a manifest), and whether the path exists at all.
    public struct Loaded: Sendable {
        public var manifests: ManifestSet
        public var rendered: Bool
        public var files: [String]
        public var pathExists: Bool
        /// How a Helm chart was rendered, as the ledger keeps it with the attempt; empty otherwise.
        public var rendering: String = ""
    }

    /// A revision's files read and its rendering decided, before anything is parsed or rendered:
    /// what a load that fails still tells the ledger (``rendering``).
    public struct Prepared: Sendable {
        var revision: String
        var snapshotFiles: [RepositoryFile]
        var options: LoadOptions
        var rendered: Bool
        var files: [String]
        var pathExists: Bool
        /// How a Helm chart is rendered (one line of JSON, no secret values); empty for no chart.
        public var rendering: String
    }

    /// The manifests at `revision` (``prepare(at:releaseName:capabilities:)`` then ``load(_:)``).
    public func load(
        at revision: String, releaseName: String? = nil, capabilities: (@Sendable () async throws -> HelmCapabilities)? = nil
    ) async throws -> Loaded {
        try await load(try await prepare(at: revision, releaseName: releaseName, capabilities: capabilities))
    }

    /// Reads the files at `revision`: only those under the application's path, and the whole tree
    /// only for a Kustomize overlay, which may reach outside it (`../../base`), or a Helm chart whose
    /// values files do.
    ///
    /// - Parameters:
    ///   - releaseName: a chart's release name when the settings give none (the application's name).
    ///   - capabilities: what the target cluster is, asked only when the path holds a chart that
    ///     Helm renders (a failure to ask is thrown: the cluster is unreachable, not the revision bad).
    public func prepare(
        at revision: String, releaseName: String? = nil, capabilities: (@Sendable () async throws -> HelmCapabilities)? = nil
    ) async throws -> Prepared {
        var snapshot = try await mirror.snapshot(at: revision, under: path)
        let pathExists = path.isEmpty || !snapshot.files.isEmpty || !snapshot.submodules.isEmpty
        let files = snapshot.files.map(\.path)
        let kustomized = snapshot.files.contains(where: { Self.isKustomization($0.path) })
        // The charts' directories in the repository, without their subcharts.
        let charts = files.filter(Self.isChart).map { ($0 as NSString).deletingLastPathComponent }
            .filter { !$0.split(separator: "/").contains("charts") }
        let charted = files.contains(where: Self.isChart)
        var options = loadOptions
        var rendering = ""
        if charted, options.helm.enabled {
            if options.helm.releaseName == nil { options.helm.releaseName = releaseName }
            if options.helmCapabilities == nil, let capabilities { options.helmCapabilities = try await capabilities() }
            if options.helmHome == nil { options.helmHome = helmHome }
            rendering = options.helm.recorded(
                releaseName: options.helm.releaseName ?? releaseName ?? "", charts: charts, kubeVersion: options.helmCapabilities?.kubeVersion)
        }
        // A Kustomize overlay (`../../base`) or a chart's values file (`../values/prod.yaml`) may
        // reach outside the path: then read the whole tree.
        let reachesOut = kustomized || (charted && options.helm.valueFiles.contains { $0.split(separator: "/").contains("..") })
        if !path.isEmpty, reachesOut {
            snapshot = try await mirror.snapshot(at: revision, under: "")
        }
        return Prepared(
            revision: revision, snapshotFiles: snapshot.files, options: options, rendered: kustomized || charted, files: files, pathExists: pathExists,
            rendering: rendering)
    }

    /// Parses (and renders) what ``prepare(at:releaseName:capabilities:)`` read. A rendered
    /// revision is rendered once per settings in this process (``RenderedManifests``).
    public func load(_ prepared: Prepared) async throws -> Loaded {
        var manifests: ManifestSet
        if prepared.rendered {
            let key = RenderedManifests.key(mirror: mirror.path, revision: prepared.revision, path: path, options: prepared.options)
            if let kept = await RenderedManifests.shared.manifests(for: key) {
                manifests = kept
            } else {
                manifests = try await parse(prepared.snapshotFiles, options: prepared.options)
                await RenderedManifests.shared.keep(manifests, for: key)
            }
        } else {
            manifests = try await parse(prepared.snapshotFiles, options: prepared.options)
        }
        return Loaded(
            manifests: manifests, rendered: prepared.rendered, files: prepared.files, pathExists: prepared.pathExists,
            rendering: prepared.rendering)
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
