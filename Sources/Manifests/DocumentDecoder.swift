import KubeModel
import Yams

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
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return ([], [ManifestError.Problem(.invalidYAML, file: label, message: "the file is not valid UTF-8")])
        }
        if let reason = NestingGuard.problem(in: bytes, maxDepth: options.maxDepth) {
            return ([], [ManifestError.Problem(.limitExceeded, file: label, message: reason)])
        }
        if let refused = YAMLAliasKeyGuard.problem(in: text) {
            return ([], [ManifestError.Problem(.invalidYAML, file: label, document: refused.document, message: refused.message)])
        }
        var documents: [DecodedDocument] = []
        var problems: [ManifestError.Problem] = []
        var converter = YAMLNodeConverter(maxAliasNodes: options.maxAliasNodes, maxDepth: options.maxDepth)
        var position = 0
        do {
            // `.basic` resolves nothing: Sluice resolves plain scalars itself, and the default
            // resolver would run regular expressions on every mapping key.
            let parser = try Parser(yaml: text, resolver: .basic, encoding: .utf8)
            while true {
                position += 1
                guard let root = try parser.nextRoot() else { break }
                do {
                    let value = try converter.convertDocument(root)
                    if keepEmpty || !value.isNull { documents.append(DecodedDocument(file: label, document: position, value: value)) }
                } catch {
                    problems.append(
                        ManifestError.Problem(
                            error.code, file: label, document: position, field: error.location.steps.isEmpty ? nil : error.location.description,
                            message: error.message))
                }
            }
        } catch {
            let message = "invalid YAML: " + YAMLErrorText.describe(error)
            problems.append(ManifestError.Problem(.invalidYAML, file: label, document: position, message: message))
        }
        return (documents, problems)
    }
}

/// Short, one-line descriptions of the YAML library's errors.
enum YAMLErrorText {
    static func describe(_ error: any Error) -> String {
        guard let yamlError = error as? YamlError else { return String(describing: error) }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var text = "\(problem) at line \(mark.line), column \(mark.column)"
            if let context { text += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            return text
        case .reader(let problem, let offset, _, _):
            return offset.map { "\(problem) at character \($0)" } ?? problem
        case .duplicatedKeysInMapping(let duplicates, let context):
            return "mapping key \(duplicates.map { "\"\($0)\"" }.joined(separator: ", ")) appears more than once at line \(context.mark.line)"
        default:
            return String(describing: yamlError).split(separator: "\n").first.map(String.init) ?? "unknown error"
        }
    }
}
