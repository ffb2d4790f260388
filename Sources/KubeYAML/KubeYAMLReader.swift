import KubeModel
import Yams

/// The one YAML reader for Kubernetes objects: Sluice's manifest loader and LocalCluster's
/// `application/apply-patch+yaml` bodies both read YAML through it, the way `kubectl` and the API
/// server do (`sigs.k8s.io/yaml`: go-yaml v2's YAML 1.1 scalars, then JSON).
///
/// `yes`/`on`/`y` are `true`, `no`/`off`/`n` are `false`, `~` is null, `0755` and `0o755` are 493,
/// `0x1F` is 31, `1_000` is 1000, `1e3` is 1000 (a whole float is an integer once it has been
/// JSON), timestamps and sexagesimals (`1:20`) stay strings, `.inf` and `.nan` are refused (JSON
/// cannot hold them), keys that read as numbers or Booleans become their JSON text, and a key
/// written twice is refused (as `kubectl`'s default strict decoding refuses it).
package enum KubeYAMLReader {
    /// One document of a stream, or why it could not be read.
    package struct Document: Sendable {
        /// The 1-based position in the stream (empty documents count).
        package var position: Int
        package var result: Result<JSONValue, YAMLNodeConverter.Failure>
    }

    /// The documents of `bytes` and, when reading stopped early, why (with the position of the
    /// document it stopped in, 0 when the text as a whole was refused). Documents before the stop are kept, so every problem is reported.
    package static func read(
        _ bytes: [UInt8], maxAliasNodes: Int, maxDepth: Int, firstDocumentOnly: Bool = false
    ) -> (documents: [Document], stop: (position: Int, failure: YAMLNodeConverter.Failure)?) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return ([], (0, YAMLNodeConverter.Failure(.invalidYAML, "the text is not valid UTF-8")))
        }
        if let reason = NestingGuard.problem(in: bytes, maxDepth: maxDepth) {
            return ([], (0, YAMLNodeConverter.Failure(.limitExceeded, reason)))
        }
        if let refused = YAMLAliasKeyGuard.problem(in: text) {
            return ([], (refused.document, YAMLNodeConverter.Failure(.invalidYAML, refused.message)))
        }
        var documents: [Document] = []
        var converter = YAMLNodeConverter(maxAliasNodes: maxAliasNodes, maxDepth: maxDepth)
        var position = 0
        do {
            // `.basic` resolves nothing: plain scalars are resolved here, by go-yaml's rules, and the
            // default resolver would run regular expressions on every mapping key.
            let parser = try Parser(yaml: text, resolver: .basic, encoding: .utf8)
            while true {
                position += 1
                guard let root = try parser.nextRoot() else { break }
                do {
                    documents.append(Document(position: position, result: .success(try converter.convertDocument(root))))
                } catch {
                    documents.append(Document(position: position, result: .failure(error)))
                }
                if firstDocumentOnly { break }
            }
        } catch {
            return (documents, (position, YAMLNodeConverter.Failure(.invalidYAML, "invalid YAML: " + YAMLErrorText.describe(error))))
        }
        return (documents, nil)
    }
}

/// Short, one-line descriptions of the YAML library's errors.
package enum YAMLErrorText {
    package static func describe(_ error: any Error) -> String {
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
