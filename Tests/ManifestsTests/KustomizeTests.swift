import Foundation
import Manifests
import Testing
import TestSupport

/// Kustomize directories rendered by the real `kubectl kustomize` (on PATH in the test environment).
@Suite struct KustomizeTests {
    static let base: [String: String] = [
        "base/kustomization.yaml": "resources:\n- deployment.yaml\n- service.yaml\n",
        "base/deployment.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 1
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec: {containers: [{name: web, image: nginx}]}
            """,
        "base/service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n",
    ]

    static let overlay: [String: String] = base.merging([
        "overlays/prod/kustomization.yaml": """
            resources:
            - ../../base
            namespace: prod
            namePrefix: prod-
            replicas:
            - name: web
              count: 3
            configMapGenerator:
            - name: settings
              literals: [mode=fast]
            """
    ]) { first, _ in first }

    @Test func aDirectoryWithAKustomizationIsRenderedByKustomize() throws {
        let directory = try TemporaryDirectory(label: "kustomize")
        try Fixtures.write(Self.overlay, in: directory)
        let set = try ManifestLoader.load(directory: directory.appending("overlays/prod"))
        #expect(set.manifests.map(\.identity.description).sorted() == [
            "/ConfigMap/prod/prod-settings-\(try configMapHash(set))",
            "/Service/prod/prod-web",
            "apps/Deployment/prod/prod-web",
        ])
        #expect(set.manifests.allSatisfy { $0.file == "kustomization.yaml" })
        let deployment = try #require(set.manifests.first { $0.identity.kind == "Deployment" })
        #expect(deployment.object[path: ["spec", "replicas"]] == .int(3))
    }

    @Test func aKustomizationBelowTheApplicationPathReplacesItsDirectorysFiles() throws {
        let directory = try TemporaryDirectory(label: "kustomize")
        try Fixtures.write(Self.base.merging(["extra.yaml": Fixtures.configMap("extra")]) { first, _ in first }, in: directory)
        let set = try ManifestLoader.load(directory: directory.url)
        #expect(set.manifests.map(\.file) == ["base/kustomization.yaml", "base/kustomization.yaml", "extra.yaml"])
        #expect(Set(set.names) == ["web", "extra"])
    }

    @Test func filesFromACommitAreRenderedTheSameWay() throws {
        let files = Self.overlay.map { ManifestFile(path: $0.key, text: $0.value) }
        let directory = try TemporaryDirectory(label: "kustomize")
        try Fixtures.write(Self.overlay, in: directory)
        let fromMemory = try ManifestLoader.load(files: files)
        let fromDisk = try ManifestLoader.load(directory: directory.url)
        // Both the base and the overlay are outermost Kustomizations here, so both are rendered.
        #expect(fromMemory.manifests.map(\.identity) == fromDisk.manifests.map(\.identity))
        #expect(fromMemory.count == 5)
    }

    @Test func anApplicationPathInACommitsFilesMayUseKustomizeBasesOutsideIt() throws {
        let files = Self.overlay.map { ManifestFile(path: $0.key, text: $0.value) }
        let set = try ManifestLoader.load(files: files, applicationPath: "overlays/prod/")
        #expect(set.count == 3)
        #expect(set.manifests.allSatisfy { $0.file == "kustomization.yaml" && $0.identity.namespace == "prod" })
    }

    @Test func onlyFilesUnderTheApplicationPathAreLoaded() throws {
        let files = [
            ManifestFile(path: "apps/web/a.yaml", text: Fixtures.configMap("a")),
            ManifestFile(path: "apps/web/sub/b.yaml", text: Fixtures.configMap("b")),
            ManifestFile(path: "apps/webby/c.yaml", text: Fixtures.configMap("c")),
            ManifestFile(path: "other.yaml", text: Fixtures.configMap("d")),
        ]
        let set = try ManifestLoader.load(files: files, applicationPath: "apps/web")
        #expect(set.names == ["a", "b"])
        #expect(set.manifests.map(\.file) == ["a.yaml", "sub/b.yaml"])
    }

    @Test func aFailingKustomizationIsReportedWithKustomizesMessage() throws {
        let error = try #require(Fixtures.loadError(["kustomization.yaml": "resources:\n- missing.yaml\n"]))
        let problem = try #require(error.problems.first)
        #expect(problem.code == .kustomizeFailed)
        #expect(problem.file == "kustomization.yaml")
        #expect(problem.message.contains("missing.yaml"), "\(problem)")
    }

    @Test func aMissingKustomizeCommandIsReported() throws {
        let options = LoadOptions(kustomizeCommand: ["sluice-no-such-kustomize"])
        let error = try #require(Fixtures.loadError(Self.base, options: options))
        #expect(error.problems.first?.code == .kustomizeFailed)
        #expect(error.problems.first?.message.contains("not found on PATH") == true)
    }

    @Test func renderedOutputCountsTowardsTheTotalLimit() throws {
        let error = try #require(Fixtures.loadError(Self.base, options: LoadOptions(maxTotalBytes: 200)))
        #expect(error.problems.first?.code == .limitExceeded, "\(error)")
    }

    /// The hash suffix Kustomize gave the generated ConfigMap.
    private func configMapHash(_ set: ManifestSet) throws -> String {
        let name = try #require(set.names.first { $0.hasPrefix("prod-settings-") })
        return String(name.dropFirst("prod-settings-".count))
    }
}
