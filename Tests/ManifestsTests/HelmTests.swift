import Foundation
import KubeModel
import Manifests
import Testing
import TestSupport

/// Helm charts rendered by the real `helm template` (on PATH in the test environment), as Argo
/// CD's repo-server renders them.
@Suite struct HelmTests {
    /// A chart whose ConfigMap shows the release, the namespace, values and capabilities.
    static let chart: [String: String] = [
        "shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
        "shop/values.yaml": "replicaCount: 1\ncolor: blue\nsize: small\n",
        "shop/values-production.yaml": "replicaCount: 3\ncolor: red\n",
        "shop/templates/_helpers.tpl": "{{- define \"shop.name\" -}}{{ .Release.Name }}-shop{{- end -}}\n",
        "shop/templates/settings.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ include "shop.name" . }}
            data:
              release: {{ .Release.Name | quote }}
              namespace: {{ .Release.Namespace | quote }}
              replicas: {{ .Values.replicaCount | quote }}
              color: {{ .Values.color | quote }}
              size: {{ .Values.size | quote }}
              kube: {{ .Capabilities.KubeVersion.Version | quote }}
              {{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor" }}
              monitoring: "servicemonitor"
              {{- end }}
            """,
        "shop/templates/tests/check.yaml": """
            apiVersion: v1
            kind: Pod
            metadata:
              name: {{ .Release.Name }}-check
              annotations: {"helm.sh/hook": test}
            spec: {containers: [{name: check, image: busybox}]}
            """,
        "shop/crds/widgets.yaml": """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: widgets.example.com}
            spec:
              group: example.com
              names: {kind: Widget, plural: widgets}
              scope: Namespaced
              versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
            """,
    ]

    static func load(_ files: [String: String], path: String = "shop", _ configure: (inout LoadOptions) -> Void = { _ in }) throws -> ManifestSet {
        var options = LoadOptions(defaultNamespace: "shop-prod")
        configure(&options)
        return try ManifestLoader.load(files: files.map { ManifestFile(path: $0.key, text: $0.value) }, applicationPath: path, options: options)
    }

    static func data(_ set: ManifestSet, _ name: String) -> [String: String] {
        guard let manifest = set.manifests.first(where: { $0.identity.name == name }), case .object(let data)? = manifest.object["data"] else { return [:] }
        return data.compactMapValues(\.stringValue)
    }

    @Test("a chart is rendered with its values, then the values files, inline values and --set in that order, for the release and namespace")
    func valuesInOrder() throws {
        let set = try Self.load(Self.chart) { options in
            options.helm.releaseName = "web"
            options.helm.valueFiles = ["values-production.yaml"]
            options.helm.values = "color: green\nsize: large\n"
            options.helm.parameters = [HelmSettings.Parameter(name: "size", value: "huge")]
        }
        let data = Self.data(set, "web-shop")
        #expect(data["release"] == "web")
        #expect(data["namespace"] == "shop-prod")
        #expect(data["replicas"] == "3", "the values file overrides values.yaml")
        #expect(data["color"] == "green", "inline values override the values file")
        #expect(data["size"] == "huge", "--set overrides inline values")
        // Objects are named by the template they came from, under the chart's directory.
        #expect(set.manifests.first { $0.identity.name == "web-shop" }?.file == "templates/settings.yaml")
        // CRDs come along (Argo CD's default), the test hook too (a hook of no phase: skipped).
        #expect(set.manifests.contains { $0.identity.kind == "CustomResourceDefinition" && $0.file == "crds/widgets.yaml" })
        let check = try #require(set.manifests.first { $0.identity.name == "web-check" })
        #expect(check.settings.isHook && check.settings.skip)
    }

    @Test("skipCrds and skipTests leave out the chart's crds/ and its test hooks")
    func skips() throws {
        let set = try Self.load(Self.chart) { options in
            options.helm.skipCRDs = true
            options.helm.skipTests = true
        }
        #expect(!set.manifests.contains { $0.identity.kind == "CustomResourceDefinition" })
        #expect(!set.manifests.contains { $0.identity.kind == "Pod" })
        // With no release name set, the chart's directory names the release (Delivery passes the application's name).
        #expect(Self.data(set, "shop-shop")["release"] == "shop")
    }

    @Test("templates that branch on .Capabilities see the target cluster's version and API versions")
    func capabilities() throws {
        let plain = try Self.load(Self.chart)
        #expect(Self.data(plain, "shop-shop")["monitoring"] == nil)
        let targeted = try Self.load(Self.chart) { options in
            options.helmCapabilities = HelmCapabilities(
                kubeVersion: "v1.36.0-sluice", apiVersions: ["v1", "apps/v1", "monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor"])
        }
        #expect(Self.data(targeted, "shop-shop")["monitoring"] == "servicemonitor")
        #expect(Self.data(targeted, "shop-shop")["kube"] == "v1.36.0-sluice")
    }

    @Test("a subchart vendored under charts/ is rendered with its parent, not read on its own")
    func vendoredSubchart() throws {
        var files = Self.chart
        files["shop/charts/cache/Chart.yaml"] = "apiVersion: v2\nname: cache\nversion: 1.0.0\n"
        files["shop/charts/cache/values.yaml"] = "port: 6379\n"
        files["shop/charts/cache/templates/service.yaml"] =
            "apiVersion: v1\nkind: Service\nmetadata: {name: '{{ .Release.Name }}-cache'}\nspec: {ports: [{port: {{ .Values.port }}}]}\n"
        files["shop/values.yaml"] = "replicaCount: 1\ncolor: blue\nsize: small\ncache:\n  port: 7000\n"
        let set = try Self.load(files)
        let service = try #require(set.manifests.first { $0.identity.kind == "Service" })
        #expect(service.identity.name == "shop-cache")
        #expect(service.file == "charts/cache/templates/service.yaml")
        #expect(service.object["spec"]?["ports"]?.arrayValue?.first?["port"] == JSONValue.int(7000), "the parent's values reach the subchart")
    }

    @Test("a template error is refused before anything is applied, naming the template and its line")
    func templateError() throws {
        var files = Self.chart
        files["shop/templates/broken.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ .Values.color | nosuchfunction }}\n"
        let error = try #require(Self.loadError(files))
        let problem = try #require(error.problems.first)
        #expect(problem.code == .helmFailed)
        #expect(problem.file == "templates/broken.yaml", "\(error)")
        #expect(problem.message.contains("broken.yaml:6"), "\(problem.message)")
        #expect(problem.message.contains("nosuchfunction"))
        #expect(!problem.message.contains("sluice-manifests-"), "no temporary path: \(problem.message)")
        #expect(!error.isUnavailable)
    }

    @Test("a values file that does not exist, and a rendered document that is not an object, are refused by name")
    func missingValuesFileAndBadOutput() throws {
        let missing = try #require(Self.loadError(Self.chart) { $0.helm.valueFiles = ["values-staging.yaml"] })
        #expect(missing.problems.first?.message.contains("'values-staging.yaml' does not exist") == true, "\(missing)")
        var files = Self.chart
        files["shop/templates/list.yaml"] = "- not\n- an object\n"
        let bad = try #require(Self.loadError(files))
        #expect(bad.problems.contains { $0.file == "templates/list.yaml" }, "\(bad)")
    }

    @Test("with Helm off a chart is refused in one sentence, never read as plain YAML; a Kustomization beside a Chart.yaml wins")
    func helmOffAndKustomizeFirst() throws {
        let off = try #require(Self.loadError(Self.chart) { $0.helm.enabled = false })
        #expect(off.problems.count == 1, "\(off)")
        #expect(off.problems.first?.code == .notRendered)
        #expect(off.problems.first?.file == "Chart.yaml")
        #expect(off.problems.first?.message.contains("--no-helm") == true)

        var both = Self.chart
        both["shop/kustomization.yaml"] = "resources:\n- plain.yaml\n"
        both["shop/plain.yaml"] = Fixtures.configMap("from-kustomize")
        let set = try Self.load(both)
        #expect(set.names == ["from-kustomize"])
    }

    @Test("a dependency from a chart repository on loopback is fetched once, then served from the cache; an unreachable repository is worth a retry, a missing chart is not")
    func dependencyFromARepository() async throws {
        let work = try TemporaryDirectory(label: "helm-dependency")
        defer { work.remove() }
        try Fixtures.write([
            "cache/Chart.yaml": "apiVersion: v2\nname: cache\nversion: 1.2.0\n",
            "cache/values.yaml": "port: 6379\n",
            "cache/templates/service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: '{{ .Release.Name }}-cache'}\nspec: {ports: [{port: {{ .Values.port }}}]}\n",
        ], in: work)
        let repository = try await ChartRepositoryServer.start(charts: [work.appending("cache")])
        defer { repository.stop() }
        var files = Self.chart
        files["shop/Chart.yaml"] = """
            apiVersion: v2
            name: shop
            version: 0.1.0
            dependencies:
              - name: cache
                version: "~1.2.0"
                repository: \(repository.url)
            """
        let home = try work.makeSubdirectory("helm-home")
        let load = { (home: String) throws -> ManifestSet in try Self.load(files) { $0.helmHome = home } }

        let first = try load(home.path)
        #expect(first.manifests.first { $0.identity.kind == "Service" }?.identity.name == "shop-cache")
        // Served from the cache with the repository down.
        repository.stop()
        let second = try load(home.path)
        #expect(second.manifests.contains { $0.identity.name == "shop-cache" })
        // A fresh home has no cache: unreachable, and said to be worth a retry.
        let unreachable = try #require(Self.loadError(files) { $0.helmHome = work.appending("fresh").path })
        #expect(unreachable.isUnavailable, "\(unreachable)")
        #expect(unreachable.problems.first?.file == "Chart.yaml")
        // A version the repository does not have is the revision's problem.
        try await repository.restart()
        files["shop/Chart.yaml"] = files["shop/Chart.yaml"]?.replacingOccurrences(of: "~1.2.0", with: "~9.0.0")
        let missing = try #require(Self.loadError(files) { $0.helmHome = work.appending("other").path })
        #expect(!missing.isUnavailable, "\(missing)")
        #expect(missing.problems.first?.code == .helmFailed)
        #expect(missing.problems.first?.message.contains("cache") == true, "\(missing)")
    }

    @Test("a chart repository behind basic auth: refused without credentials (worth a retry, as a Git source's), served with a user and a password file, whose content is never in a message")
    func dependencyWithCredentials() async throws {
        let work = try TemporaryDirectory(label: "helm-credentials")
        defer { work.remove() }
        try Fixtures.write([
            "cache/Chart.yaml": "apiVersion: v2\nname: cache\nversion: 1.2.0\n",
            "cache/templates/service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: '{{ .Release.Name }}-cache'}\nspec: {ports: [{port: 6379}]}\n",
        ], in: work)
        let password = "s3cret-chart-password"
        let repository = try await ChartRepositoryServer.start(charts: [work.appending("cache")], login: ("deploy", password))
        defer { repository.stop() }
        var files = Self.chart
        files["shop/Chart.yaml"] = "apiVersion: v2\nname: shop\nversion: 0.1.0\ndependencies:\n  - name: cache\n    version: 1.2.0\n    repository: \(repository.url)\n"

        let refused = try #require(Self.loadError(files) { $0.helmHome = work.appending("anonymous").path })
        #expect(refused.isUnavailable, "\(refused)")
        #expect(refused.description.contains("401"), "\(refused)")

        let wrong = work.appending("wrong-password")
        try Data("not-it\n".utf8).write(to: wrong)
        let denied = try #require(Self.loadError(files) { options in
            options.helmHome = work.appending("wrong").path
            options.helm.repositoryCredentials = .init(username: "deploy", passwordFile: wrong.path)
        })
        #expect(denied.isUnavailable && !denied.description.contains("not-it"), "\(denied)")

        let passwordFile = work.appending("password")
        try Data((password + "\n").utf8).write(to: passwordFile)
        let set = try Self.load(files) { options in
            options.helmHome = work.appending("authorized").path
            options.helm.repositoryCredentials = .init(username: "deploy", passwordFile: passwordFile.path)
        }
        #expect(set.manifests.contains { $0.identity.name == "shop-cache" })
        let recorded = HelmSettings(repositoryCredentials: .init(username: "deploy", passwordFile: passwordFile.path)).recorded(releaseName: "shop")
        #expect(recorded.contains("deploy") && !recorded.contains(password) && !recorded.contains(passwordFile.path))
    }

    static func loadError(_ files: [String: String], path: String = "shop", _ configure: (inout LoadOptions) -> Void = { _ in }) -> ManifestError? {
        do {
            _ = try load(files, path: path, configure)
            return nil
        } catch let error as ManifestError {
            return error
        } catch {
            return ManifestError(ManifestError.Problem(.unreadable, file: "", message: "\(error)"))
        }
    }
}
