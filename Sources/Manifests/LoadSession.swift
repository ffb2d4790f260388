import Foundation

/// The state of one load: the byte budget, the checks in progress, and every problem so far.
struct LoadSession {
    let options: LoadOptions
    private var assembler: ManifestAssembler
    private var totalBytes = 0
    private var overTotal = false

    init(options: LoadOptions) {
        self.options = options
        self.assembler = ManifestAssembler(defaultNamespace: options.defaultNamespace)
    }

    /// Records a problem found while reading.
    mutating func report(_ problem: ManifestError.Problem) {
        assembler.report(problem)
    }

    /// Checks a file's size against both limits before it is read (Kustomize output, which is
    /// many files in one, only against the total); false when it must not be read.
    mutating func admit(path: String, size: Int, isRendered: Bool = false) -> Bool {
        guard !overTotal else { return false }
        guard isRendered || size <= options.maxFileBytes else {
            let message = "the file has \(size) bytes, more than the limit of \(options.maxFileBytes)"
            report(ManifestError.Problem(.limitExceeded, file: path, message: message))
            return false
        }
        guard totalBytes + size <= options.maxTotalBytes else {
            overTotal = true
            report(
                ManifestError.Problem(
                    .limitExceeded, file: path,
                    message: "the revision's manifests are larger than the limit of \(options.maxTotalBytes) bytes; "
                        + "files from here on were not read"))
            return false
        }
        totalBytes += size
        return true
    }

    /// Decodes and checks one file's documents.
    mutating func load(_ file: ManifestFile) {
        guard admit(path: file.path, size: file.bytes.count) else { return }
        add(DocumentDecoder.decode(file, options: options))
    }

    /// Renders a Kustomize directory and checks the objects it gives; `label` is the kustomization
    /// file, which problems name.
    mutating func render(directory: URL, label: String) {
        guard !overTotal else { return }
        let renderer = KustomizeRenderer(command: options.kustomizeCommand, timeout: options.kustomizeTimeout)
        do {
            let output = try renderer.render(directory: directory, maxBytes: max(options.maxTotalBytes - totalBytes, 0))
            guard admit(path: label, size: output.count, isRendered: true) else { return }
            add(DocumentDecoder.decodeYAML(bytes: output, label: label, options: options))
        } catch {
            report(ManifestError.Problem(error.code, file: label, message: error.message))
        }
    }

    /// Renders a Helm chart (a writable copy in `directory`) and checks the objects it gives, each
    /// named by its template (`CHART/templates/service.yaml`, `chartPath` being the chart's directory
    /// relative to the application); `label` is the `Chart.yaml`, which problems name when Helm
    /// names no template. With Helm off, the chart is refused, never read as plain YAML.
    mutating func renderHelm(directory: URL, chartPath: String, label: String) {
        guard !overTotal else { return }
        guard options.helm.enabled else {
            refuseChart(label: label)
            return
        }
        var temporaryHome: URL?
        defer { temporaryHome.map { try? FileManager.default.removeItem(at: $0) } }
        let home: URL
        if let configured = options.helmHome {
            home = URL(fileURLWithPath: configured, isDirectory: true)
        } else {
            home = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-helm-\(UUID().uuidString)", isDirectory: true)
            temporaryHome = home
        }
        let renderer = HelmRenderer(command: options.helmCommand, timeout: options.helmTimeout, home: home)
        let releaseName = options.helm.releaseName ?? (chartPath.isEmpty ? directory.lastPathComponent : SourceLayout.split(chartPath).name)
        func place(_ template: String) -> String { [chartPath, template].filter { !$0.isEmpty }.joined(separator: "/") }
        do {
            let rendered = try renderer.render(
                chart: directory, settings: options.helm, releaseName: releaseName, namespace: options.defaultNamespace,
                capabilities: options.helmCapabilities, maxBytes: max(options.maxTotalBytes - totalBytes, 0))
            for template in rendered {
                let name = place(template.template)
                guard admit(path: name, size: template.bytes.count, isRendered: true) else { return }
                add(DocumentDecoder.decodeYAML(bytes: template.bytes, label: name, options: options))
            }
        } catch {
            // Helm names a template as `CHART/templates/x.yaml:LINE`; the file is the one in the repository.
            let file = error.template.flatMap { named -> String? in
                let path = named.split(separator: ":").first.map(String.init) ?? named
                return path.split(separator: "/", maxSplits: 1).dropFirst().first.map { place(String($0)) }
            }
            report(ManifestError.Problem(error.code, file: file ?? label, message: error.message))
        }
    }

    /// Refuses a chart with Helm off, in one sentence on its `Chart.yaml` (`label`).
    mutating func refuseChart(label: String) {
        report(
            ManifestError.Problem(
                .notRendered, file: label,
                message: "a Helm chart, and Helm rendering is off (--no-helm): turn it on to render the chart, or point --path at plain manifests"))
    }

    private mutating func add(_ decoded: (documents: [DecodedDocument], problems: [ManifestError.Problem])) {
        for problem in decoded.problems { report(problem) }
        for document in decoded.documents { assembler.add(document) }
    }

    /// The loaded set, or every problem found.
    mutating func finish() throws(ManifestError) -> ManifestSet {
        guard let manifests = assembler.finish() else {
            throw ManifestError(problems: assembler.problems)
        }
        return ManifestSet(manifests: manifests)
    }
}
