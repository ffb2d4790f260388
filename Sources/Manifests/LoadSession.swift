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
