import KubeModel

extension JSONValue {
    /// The documents of a YAML stream (JSON is YAML too), read as `kubectl` reads them: YAML 1.1
    /// scalars (`yes` and `on` are booleans, `0x1F` a number), merge keys, aliases within
    /// `options.maxAliasNodes`, nesting within `options.maxDepth`. Empty documents are `null`.
    ///
    /// - Throws: ``ManifestError`` with every problem, the file named `label`.
    public static func parseYAMLStream(
        _ text: String, label: String = "<yaml>", options: LoadOptions = LoadOptions()
    ) throws(ManifestError) -> [JSONValue] {
        let decoded = DocumentDecoder.decodeYAML(bytes: Array(text.utf8), label: label, options: options, keepEmpty: true)
        guard decoded.problems.isEmpty else { throw ManifestError(problems: decoded.problems) }
        return decoded.documents.map(\.value)
    }
}
