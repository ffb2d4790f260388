import KubeModel
import KubeYAML

/// One non-empty document of a file, before it is checked as a Kubernetes object.
struct DecodedDocument {
    /// The file, relative to the application path.
    var file: String
    /// The 1-based position in the file's YAML stream (empty documents count).
    var document: Int
    /// The document's value.
    var value: JSONValue
}

/// Reads the documents of one YAML or JSON file, with the limits of ``LoadOptions``.
enum DocumentDecoder {
    /// The file's non-empty documents and the problems found; a file with problems may still give
    /// the documents before or after them, so that every problem of a revision is reported at once.
    static func decode(_ file: ManifestFile, options: LoadOptions) -> (documents: [DecodedDocument], problems: [ManifestError.Problem]) {
        if file.path.hasSuffix(".json") { return decodeJSON(file, options: options) }
        return decodeYAML(bytes: file.bytes, label: file.path, options: options)
    }

    private static func decodeJSON(_ file: ManifestFile, options: LoadOptions) -> (documents: [DecodedDocument], problems: [ManifestError.Problem]) {
        do {
            let value = try JSONValue.parse(file.bytes, maximumDepth: options.maxDepth)
            if value.isNull { return ([], []) }
            return ([DecodedDocument(file: file.path, document: 1, value: value)], [])
        } catch {
            return ([], [ManifestError.Problem(.invalidJSON, file: file.path, document: 1, message: error.description)])
        }
    }

    /// Reads a YAML stream; `label` names it in problems (a file, or a kustomization for rendered
    /// output). Empty documents are left out unless `keepEmpty`.
    static func decodeYAML(
        bytes: [UInt8], label: String, options: LoadOptions, keepEmpty: Bool = false
    ) -> (documents: [DecodedDocument], problems: [ManifestError.Problem]) {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            return ([], [ManifestError.Problem(.invalidYAML, file: label, message: "the file is not valid UTF-8")])
        }
        let read = KubeYAMLReader.read(bytes, maxAliasNodes: options.maxAliasNodes, maxDepth: options.maxDepth)
        var documents: [DecodedDocument] = []
        var problems: [ManifestError.Problem] = []
        for document in read.documents {
            switch document.result {
            case .success(let value):
                if keepEmpty || !value.isNull { documents.append(DecodedDocument(file: label, document: document.position, value: value)) }
            case .failure(let failure):
                problems.append(problem(failure, label: label, document: document.position))
            }
        }
        if let stop = read.stop { problems.append(problem(stop.failure, label: label, document: stop.position)) }
        return (documents, problems)
    }
}

extension DocumentDecoder {
    /// A reader failure as a loader problem, naming the file, the document and the field.
    fileprivate static func problem(_ failure: YAMLNodeConverter.Failure, label: String, document: Int) -> ManifestError.Problem {
        let code: ManifestError.Problem.Code
        switch failure.kind {
        case .invalidYAML: code = .invalidYAML
        case .invalidObject: code = .invalidObject
        case .limitExceeded: code = .limitExceeded
        }
        let location = FieldLocation(failure.path.map { step -> FieldLocation.Step in
            switch step {
            case .key(let key): return .key(key)
            case .index(let index): return .index(index)
            }
        })
        return ManifestError.Problem(
            code, file: label, document: document == 0 ? nil : document, field: location.steps.isEmpty ? nil : location.description,
            message: failure.message)
    }
}
