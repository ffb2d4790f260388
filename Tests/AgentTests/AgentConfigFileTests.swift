import Agent
import Foundation
import GitSource
import Manifests
import SyncEngine
import Testing

@Suite("The agent's configuration file")
struct AgentConfigFileTests {
    static let defaults = SyncConfiguration(app: "", healthTimeout: .seconds(300))

    static func parse(_ text: String) throws -> AgentConfigFile {
        try AgentConfigFile.parse(text, file: "agent.yaml", defaults: defaults, inventoryNamespace: "sluice", defaultNamespace: "default")
    }

    @Test("applications are read with their source, options and defaults")
    func validFile() throws {
        let file = try Self.parse(
            """
            interval: 30s
            apps:
              - name: shop
                repo: https://git.example.com/shop/app.git
                branch: main
                path: deploy/prod
                namespace: shop
                prune: false
                everyCommit: true
                hookTimeout: 90s
                healthTimeout: 2m
              - repo: git@git.example.com:team/api.git
                semver: ">=1.2.0 <2.0.0"
                path: k8s
            """)
        #expect(file.interval == .seconds(30))
        #expect(file.applications.map(\.name) == ["shop", "api-k8s"])
        let shop = file.applications[0]
        #expect(shop.spec == .branch("main"))
        #expect(shop.path == "deploy/prod")
        #expect(shop.loadOptions.defaultNamespace == "shop")
        #expect(shop.sync.prune == false)
        #expect(shop.everyCommit)
        #expect(shop.sync.hookTimeout == .seconds(90))
        #expect(shop.sync.healthTimeout == .seconds(120))
        #expect(shop.sync.inventoryNamespace == "sluice")
        let api = file.applications[1]
        #expect(api.loadOptions.defaultNamespace == "default")
        #expect(api.sync.prune)
        #expect(api.sync.healthTimeout == .seconds(300))
        if case .semver = api.spec {} else { Issue.record("expected a semver spec, got \(api.spec)") }
    }

    @Test("an application's retry: takes Argo CD's shape and overrides the agent's policy; a bad one names each field")
    func retryPolicy() throws {
        let file = try Self.parse(
            """
            apps:
              - name: shop
                repo: https://git.example.com/shop/app.git
                retry:
                  limit: 4
                  backoff:
                    duration: 2s
                    factor: 3
                    maxDuration: 1m
              - name: api
                repo: https://git.example.com/api.git
                retry:
                  limit: 0
              - name: web
                repo: https://git.example.com/web.git
            """)
        #expect(file.applications[0].retry == RetryPolicy(limit: 4, duration: .seconds(2), factor: 3, maxDuration: .seconds(60)))
        #expect(file.applications[1].retry == RetryPolicy(limit: 0))
        #expect(file.applications[2].retry == nil, "no retry: the agent's flags decide")
        #expect {
            try Self.parse(
                """
                apps:
                  - repo: https://git.example.com/shop/app.git
                    retry:
                      limit: -1
                      tries: 3
                      backoff:
                        duration: soon
                        factor: 0
                """)
        } throws: { error in
            let text = "\(error)"
            return ["apps[0].retry.limit", "apps[0].retry.tries", "apps[0].retry.backoff.duration", "apps[0].retry.backoff.factor"]
                .allSatisfy { text.contains($0) }
        }
    }

    @Test("createNamespace: true or a mapping of labels and annotations names the application's namespace; false overrides --create-namespace; bad values name the field")
    func createNamespace() throws {
        let file = try Self.parse(
            """
            apps:
              - name: shop
                repo: https://git.example.com/shop.git
                namespace: shop
                createNamespace:
                  labels: {team: shop, "pod-security.kubernetes.io/enforce": baseline}
                  annotations: {example.com/owner: shop@example.com}
              - name: web
                repo: https://git.example.com/web.git
                createNamespace: true
              - name: api
                repo: https://git.example.com/api.git
            """)
        #expect(file.applications[0].sync.createNamespace == ManagedNamespace(
            name: "shop", labels: ["team": "shop", "pod-security.kubernetes.io/enforce": "baseline"],
            annotations: ["example.com/owner": "shop@example.com"]))
        #expect(file.applications[1].sync.createNamespace == ManagedNamespace(name: "default"))
        #expect(file.applications[2].sync.createNamespace == nil)

        // --create-namespace with its labels is every application's default, in its own namespace; false turns it off.
        var defaults = Self.defaults
        defaults.createNamespace = ManagedNamespace(name: "default", labels: ["team": "platform"])
        let flagged = try AgentConfigFile.parse(
            """
            apps:
              - {name: shop, repo: https://git.example.com/shop.git, namespace: shop}
              - {name: web, repo: https://git.example.com/web.git, createNamespace: false}
            """, file: "agent.yaml", defaults: defaults, inventoryNamespace: "sluice", defaultNamespace: "default")
        #expect(flagged.applications[0].sync.createNamespace == ManagedNamespace(name: "shop", labels: ["team": "platform"]))
        #expect(flagged.applications[1].sync.createNamespace == nil)

        #expect {
            try Self.parse(
                """
                apps:
                  - {name: a, repo: https://git.example.com/a.git, createNamespace: maybe}
                  - {name: b, repo: https://git.example.com/b.git, createNamespace: {labels: {team: [x]}, colour: blue}}
                """)
        } throws: { error in
            let text = "\(error)"
            return text.contains("agent.yaml: apps[0].createNamespace: 'maybe' is not true, false or a mapping with labels and annotations")
                && text.contains("agent.yaml: apps[1].createNamespace.labels.team: must be a string")
                && text.contains("agent.yaml: apps[1].createNamespace.colour: unknown field (known: labels, annotations)")
        }
    }

    @Test("every problem is reported at once, each with the file and the field")
    func invalidFile() {
        #expect {
            try Self.parse(
                """
                interval: soon
                apps:
                  - name: shop
                    branch: main
                  - name: web
                    repo: https://git.example.com/web.git
                    branch: main
                    tag: v1
                    timeout: forever
                    colour: blue
                  - name: web
                    repo: https://git.example.com/web2.git
                    prune: maybe
                """)
        } throws: { error in
            let text = "\(error)"
            return text.contains("agent.yaml: interval: 'soon' is not a duration")
                && text.contains("agent.yaml: apps[0].repo: required")
                && text.contains("agent.yaml: apps[1]: give at most one of branch, tag, semver and commit")
                && text.contains("agent.yaml: apps[1].timeout: 'forever' is not a duration")
                && text.contains("agent.yaml: apps[1].colour: unknown field")
                && text.contains("agent.yaml: apps[2].name: 'web' is used by an earlier application")
                && text.contains("agent.yaml: apps[2].prune: 'maybe' is not true or false")
        }
    }

    @Test("an empty file, a file without apps, and broken YAML are refused", arguments: ["", "interval: 1m\n", "apps: [\n", "apps:\n"])
    func unusableFiles(_ text: String) {
        #expect(throws: AgentConfigFile.Invalid.self) { try Self.parse(text) }
    }

    @Test("an empty apps list is valid: the agent idles until the file lists applications (a chart installed with its defaults)")
    func anEmptyListIsValid() throws {
        #expect(try Self.parse("interval: 1m\napps: []\n").applications.isEmpty)
    }

    @Test("a changed entry gets a new fingerprint, an unchanged one keeps it")
    func fingerprints() throws {
        let one = try Self.parse("apps:\n  - {name: a, repo: /srv/a}\n  - {name: b, repo: /srv/b}\n")
        let two = try Self.parse("apps:\n  - {name: a, repo: /srv/a}\n  - {name: b, repo: /srv/b, path: x}\n")
        #expect(one.applications[0].fingerprint == two.applications[0].fingerprint)
        #expect(one.applications[1].fingerprint != two.applications[1].fingerprint)
    }

    @Test("verify: gives an application its mode and trusted keys; an entry without it verifies nothing, and keys alone are refused")
    func verify() throws {
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-config-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: keys) }
        let allowed = keys.appendingPathComponent("allowed_signers")
        try Data("carol@example.com ssh-ed25519 AAAA\n".utf8).write(to: allowed)
        let file = try Self.parse(
            """
            apps:
              - name: shop
                repo: https://git.example.com/shop/app.git
                semver: ^1.2
                verify: {mode: tag, keys: {keyring: \(keys.path), allowedSigners: \(allowed.path)}}
              - name: api
                repo: https://git.example.com/api/app.git
            """)
        #expect(file.applications[0].verification == SignatureVerification(mode: .tag, keyring: keys.path, allowedSigners: allowed.path))
        #expect(file.applications[1].verification == nil)

        #expect {
            try Self.parse(
                """
                apps:
                  - repo: https://git.example.com/shop/app.git
                    verify: {mode: all-commits, keys: {}, trust: everyone}
                """)
        } throws: { error in
            let problems = (error as? AgentConfigFile.Invalid)?.problems ?? []
            return problems == [
                "agent.yaml: apps[0].verify.trust: unknown field (known: mode, keys)",
                "agent.yaml: apps[0].verify: mode all-commits needs trusted keys: give keys.keyring or keys.allowedSigners",
            ]
        }
    }

    @Test("an application's helm: takes Argo CD's shape (values as text or a mapping, parameters with forceString); a bad one names each field")
    func helmSettings() throws {
        let file = try Self.parse(
            """
            apps:
              - name: shop
                repo: https://git.example.com/shop/app.git
                path: charts/shop
                helm:
                  releaseName: storefront
                  valueFiles: [values-production.yaml, ../shared/values.yaml]
                  values:
                    replicaCount: 3
                  parameters:
                    - {name: image.tag, value: "1.4.2"}
                    - {name: build, value: "0042", forceString: true}
                  skipCrds: true
              - name: plain
                repo: https://git.example.com/shop/app.git
                helm: {enabled: false}
            """)
        let helm = file.applications[0].loadOptions.helm
        #expect(helm.releaseName == "storefront")
        #expect(helm.valueFiles == ["values-production.yaml", "../shared/values.yaml"])
        #expect(helm.values.contains("replicaCount: 3"))
        #expect(helm.parameters == [.init(name: "image.tag", value: "1.4.2"), .init(name: "build", value: "0042", forceString: true)])
        #expect(helm.skipCRDs && !helm.skipTests && helm.enabled)
        #expect(file.applications[1].loadOptions.helm.enabled == false)
        // Settings that differ make a different application (a new reconciler, a new fingerprint).
        #expect(file.applications[0].loadOptions.helm != HelmSettings())

        #expect {
            try Self.parse(
                """
                apps:
                  - repo: https://git.example.com/shop/app.git
                    helm:
                      valueFiles: [/etc/values.yaml]
                      parameters: [{name: x}]
                      skipTests: maybe
                      chart: nginx
                """)
        } throws: { error in
            let text = "\(error)"
            return text.contains("apps[0].helm.valueFiles[0]") && text.contains("apps[0].helm.parameters[0]")
                && text.contains("apps[0].helm.skipTests") && text.contains("apps[0].helm.chart: unknown field")
        }
    }
}
