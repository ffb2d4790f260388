import Crypto
import Foundation
import ProcessSpawn
import Yams

/// Renders one chart directory with `helm template`, as Argo CD's repo-server does: the release
/// name, the namespace, the target cluster's version and API versions, values files, inline values
/// and `--set` parameters, CRDs included unless skipped.
///
/// Dependencies declared in `Chart.yaml` and not vendored under `charts/` are fetched first with
/// `helm dependency build` from their chart repositories (each added under a name of Sluice's own),
/// into the chart's copy, and kept in a cache keyed by `Chart.yaml` and `Chart.lock`, so a later
/// revision with the same dependencies fetches nothing. Helm's own homes (repositories, cache)
/// live under ``home``, never in `$HOME`.
///
/// The calls block until Helm exits or its time is up; run loads off the cooperative thread pool.
struct HelmRenderer {
    /// Why a rendering failed, as a message for a ``ManifestError/Problem``.
    struct Failure: Error {
        var code: ManifestError.Problem.Code
        var message: String
        /// The template the error is in, relative to the chart, when Helm names one.
        var template: String?
    }

    /// One rendered template: its path relative to the chart directory (`templates/service.yaml`),
    /// or to the chart's parent for a subchart's (`charts/redis/templates/service.yaml`), and its YAML.
    struct Rendered {
        var template: String
        var bytes: [UInt8]
    }

    var command: [String]
    var timeout: Duration
    /// Helm's cache, configuration and data homes, and the dependency cache.
    var home: URL

    /// The rendered templates of the chart in `directory` (a writable copy), at most `maxBytes` in all.
    func render(
        chart directory: URL, settings: HelmSettings, releaseName: String, namespace: String?, capabilities: HelmCapabilities?,
        maxBytes: Int
    ) throws(Failure) -> [Rendered] {
        guard let program = command.first, let executable = KustomizeRenderer.locate(program) else {
            throw Failure(
                code: .helmFailed,
                message: "cannot run Helm: \(command.first ?? "(no command)") was not found on PATH (install helm, or turn Helm rendering off with --no-helm)")
        }
        let environment = try prepareHomes()
        try buildDependencies(chart: directory, helm: executable.path, environment: environment, credentials: settings.repositoryCredentials)

        var arguments = Array(command.dropFirst()) + ["template", releaseName, directory.path]
        if let namespace, !namespace.isEmpty { arguments += ["--namespace", namespace] }
        if let capabilities {
            arguments += ["--kube-version", capabilities.kubeVersion]
            for version in capabilities.apiVersions { arguments += ["--api-versions", version] }
        }
        if !settings.skipCRDs { arguments.append("--include-crds") }
        if settings.skipTests { arguments.append("--skip-tests") }
        for file in settings.valueFiles {
            let url = directory.appendingPathComponent(file).standardizedFileURL
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw Failure(code: .helmFailed, message: "the values file '\(file)' does not exist in the chart's directory at this revision")
            }
            arguments += ["--values", url.path]
        }
        if !settings.values.isEmpty {
            let inline = directory.appendingPathComponent(".sluice-inline-values-\(UUID().uuidString).yaml")
            do {
                try Data(settings.values.utf8).write(to: inline)
            } catch {
                throw Failure(code: .helmFailed, message: "cannot write the inline values for Helm: \(error.localizedDescription)")
            }
            arguments += ["--values", inline.path]
        }
        for parameter in settings.parameters {
            arguments += [parameter.forceString ? "--set-string" : "--set", "\(parameter.name)=\(parameter.value)"]
        }
        let output = try run(executable.path, arguments, environment: environment, maxBytes: maxBytes, what: "helm template")
        return Self.split(output)
    }

    // MARK: - Dependencies

    /// A dependency of `Chart.yaml`.
    struct Dependency {
        var name: String
        var repository: String
    }

    /// Fetches the dependencies not vendored under `charts/`, from the cache when it has them.
    func buildDependencies(
        chart directory: URL, helm: String, environment: [String: String], credentials: HelmSettings.RepositoryCredentials = .init()
    ) throws(Failure) {
        let chartFile = directory.appendingPathComponent("Chart.yaml")
        guard let chartText = try? String(contentsOf: chartFile, encoding: .utf8) else { return }
        let dependencies = Self.dependencies(chartText)
        let charts = directory.appendingPathComponent("charts")
        let vendored = (try? FileManager.default.contentsOfDirectory(atPath: charts.path)) ?? []
        let missing = dependencies.filter { dependency in
            !vendored.contains { $0 == dependency.name || ($0.hasPrefix(dependency.name + "-") && $0.hasSuffix(".tgz")) }
        }
        guard !missing.isEmpty else { return }

        // The cache: the archives `helm dependency build` fetched for the same Chart.yaml and Chart.lock.
        let lock = (try? Data(contentsOf: directory.appendingPathComponent("Chart.lock"))) ?? Data()
        var hasher = SHA256()
        hasher.update(data: Data(chartText.utf8))
        hasher.update(data: lock)
        let key = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        let cached = home.appendingPathComponent("dependencies/\(key)")
        let manager = FileManager.default
        if manager.fileExists(atPath: cached.appendingPathComponent(".complete").path) {
            do {
                try manager.createDirectory(at: charts, withIntermediateDirectories: true)
                for name in try manager.contentsOfDirectory(atPath: cached.path) where name.hasSuffix(".tgz") {
                    let target = charts.appendingPathComponent(name)
                    if !manager.fileExists(atPath: target.path) {
                        try manager.copyItem(at: cached.appendingPathComponent(name), to: target)
                    }
                }
                return
            } catch {
                // A damaged cache is fetched again.
                try? manager.removeItem(at: cached)
            }
        }

        // Each HTTP(S) repository is added under a name of its own (Argo CD does the same);
        // `oci://` and `file://` need none.
        for repository in Set(missing.map(\.repository)) where repository.hasPrefix("https://") || repository.hasPrefix("http://") {
            let name = "sluice-" + SHA256.hash(data: Data(repository.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
            var arguments = Array(command.dropFirst()) + ["repo", "add", "--force-update", name, repository]
            if let caFile = credentials.caFile { arguments += ["--ca-file", caFile] }
            if credentials.insecureSkipTLSVerify { arguments.append("--insecure-skip-tls-verify") }
            // The password goes to Helm on its standard input, never in its arguments.
            var input: Int32 = -1
            if let username = credentials.username {
                arguments += ["--username", username]
                if let passwordFile = credentials.passwordFile {
                    input = open(passwordFile, O_RDONLY | O_CLOEXEC)
                    guard input >= 0 else {
                        throw Failure(code: .helmUnavailable, message: "cannot read the chart repository's password file \(passwordFile)")
                    }
                    arguments.append("--password-stdin")
                }
            }
            defer { if input >= 0 { close(input) } }
            _ = try run(
                helm, arguments, environment: environment, maxBytes: 1 << 20, what: "helm repo add \(repository)",
                standardInput: input >= 0 ? .descriptor(input) : nil)
        }
        if let unusable = missing.first(where: { $0.repository.isEmpty || $0.repository.hasPrefix("@") || $0.repository.hasPrefix("alias:") }) {
            throw Failure(
                code: .helmFailed,
                message: "the dependency '\(unusable.name)' names its repository as '\(unusable.repository)', which Sluice cannot resolve; "
                    + "give the repository's URL in Chart.yaml, or vendor the chart under charts/")
        }
        _ = try run(
            helm, Array(command.dropFirst()) + ["dependency", "build", directory.path], environment: environment, maxBytes: 1 << 20,
            what: "helm dependency build")
        do {
            try manager.createDirectory(at: cached, withIntermediateDirectories: true)
            for name in try manager.contentsOfDirectory(atPath: charts.path) where name.hasSuffix(".tgz") {
                let target = cached.appendingPathComponent(name)
                if !manager.fileExists(atPath: target.path) { try manager.copyItem(at: charts.appendingPathComponent(name), to: target) }
            }
            try Data().write(to: cached.appendingPathComponent(".complete"))
        } catch {
            // Without the cache the next revision fetches again; the rendering itself is fine.
        }
    }

    /// The `dependencies` of a `Chart.yaml`; an unreadable file has none (Helm itself reports it).
    static func dependencies(_ chartText: String) -> [Dependency] {
        guard let node = try? Yams.compose(yaml: chartText, .basic), let list = node.mapping?["dependencies"]?.sequence else { return [] }
        return list.compactMap { entry in
            guard let mapping = entry.mapping, let name = mapping["name"]?.string else { return nil }
            return Dependency(name: name, repository: mapping["repository"]?.string ?? "")
        }
    }

    // MARK: - Running Helm

    /// Helm's homes under ``home``, created, as environment variables over the process's own.
    func prepareHomes() throws(Failure) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        let homes = ["HELM_CACHE_HOME": "cache", "HELM_CONFIG_HOME": "config", "HELM_DATA_HOME": "data"]
        for (variable, name) in homes {
            let url = home.appendingPathComponent(name)
            do {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            } catch {
                throw Failure(code: .helmFailed, message: "cannot create Helm's \(name) directory: \(error.localizedDescription)")
            }
            environment[variable] = url.path
        }
        environment.removeValue(forKey: "HELM_REPOSITORY_CONFIG")
        environment.removeValue(forKey: "HELM_REPOSITORY_CACHE")
        environment.removeValue(forKey: "HELM_KUBECONTEXT")
        environment["HELM_NAMESPACE"] = nil
        return environment
    }

    func run(
        _ helm: String, _ arguments: [String], environment: [String: String], maxBytes: Int, what: String, standardInput: ChildProcess.Stream? = nil
    ) throws(Failure) -> [UInt8] {
        let completed: ChildProcess.Completed
        do {
            completed = try ChildProcess.run(
                helm, arguments: [helm] + arguments, environment: environment, directory: home.path, standardInput: standardInput,
                timeout: timeout, maximumOutput: maxBytes)
        } catch {
            throw Failure(code: .helmFailed, message: "cannot run \(helm): \(error.reason)")
        }
        if completed.outputTooLarge {
            throw Failure(code: .limitExceeded, message: "Helm's output is larger than \(maxBytes) bytes")
        }
        if completed.timedOut {
            throw Failure(code: .helmUnavailable, message: "\(what) did not finish within \(timeout) and was stopped")
        }
        guard completed.status == 0 else {
            let stderr = Self.clean(String(decoding: completed.standardError, as: UTF8.self))
            throw Failure(
                code: Self.isUnreachable(stderr) ? .helmUnavailable : .helmFailed,
                message: "\(what) failed: \(stderr.isEmpty ? "exit status \(completed.status), no error output" : stderr)",
                template: Self.template(in: stderr))
        }
        return completed.standardOutput
    }

    /// Helm's error output without its `Error: ` prefix and with this run's temporary paths cut to
    /// what is in the repository.
    static func clean(_ stderr: String) -> String {
        var text = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
        // Advice for the helm command line, not for a sync.
        text = text.replacingOccurrences(of: "\n\nUse --debug flag to render out invalid YAML", with: "")
            .replacingOccurrences(of: "\nUse --debug flag to render out invalid YAML", with: "")
        // Paths of the temporary copy name nothing a person can find: keep only what follows it.
        if let range = text.range(of: #"/[^\s:'"]*/sluice-manifests-[0-9A-F-]+/"#, options: .regularExpression) {
            text.replaceSubrange(range, with: "")
        }
        return text
    }

    /// True for errors of a chart repository that could not be reached or refused the credentials
    /// (worth retrying, as for a Git source), as opposed to a chart or version it does not have.
    static func isUnreachable(_ stderr: String) -> Bool {
        let lowered = stderr.lowercased()
        let unreachable = ["connection refused", "no such host", "i/o timeout", "timeout awaiting", "tls handshake timeout",
                           "connection reset", "network is unreachable", "cannot be reached", "context deadline exceeded",
                           "server misbehaving", "eof", "503 service unavailable", "502 bad gateway", "504 gateway",
                           // Credentials, as for a Git source: the server may accept them again (a rotated password).
                           "401 unauthorized", "403 forbidden"]
        let missing = ["not found in", "no chart version found", "can't get a valid version", "404 not found", "no chart name found"]
        if missing.contains(where: lowered.contains) { return false }
        return unreachable.contains(where: lowered.contains)
    }

    /// The template an error names, with its line when Helm gives one: `guestbook/templates/x.yaml:12`
    /// from `template: guestbook/templates/x.yaml:12:3: executing …`, `parse error at
    /// (guestbook/templates/x.yaml:11): …` or `YAML parse error on guestbook/templates/x.yaml: …`.
    static func template(in stderr: String) -> String? {
        guard let range = stderr.range(of: #"[A-Za-z0-9_.-]+/(charts/[^\s:()]+/)?templates/[^\s:()]+(:\d+)?"#, options: .regularExpression) else { return nil }
        return String(stderr[range])
    }

    /// Helm's output cut at each `# Source: CHART/PATH` comment, named by the path below the chart.
    static func split(_ output: [UInt8]) -> [Rendered] {
        let text = String(decoding: output, as: UTF8.self)
        var rendered: [Rendered] = []
        var current: (template: String, lines: [Substring])?
        func flush() {
            guard let current else { return }
            let body = current.lines.joined(separator: "\n")
            if !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                rendered.append(Rendered(template: current.template, bytes: Array((body + "\n").utf8)))
            }
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# Source: ") {
                flush()
                let source = line.dropFirst("# Source: ".count)
                // The chart's own name comes first: `guestbook/templates/x.yaml` → `templates/x.yaml`.
                let template = source.split(separator: "/", maxSplits: 1).dropFirst().first.map(String.init) ?? String(source)
                current = (template, [])
            } else if current != nil {
                current?.lines.append(line)
            } else {
                current = ("", [line])
            }
        }
        flush()
        return rendered
    }
}
