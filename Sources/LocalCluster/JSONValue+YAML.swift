import KubeModel
import KubeYAML

extension JSONValue {
    /// Reads an `application/apply-patch+yaml` body as the API server does (`yaml.Unmarshal` from
    /// `sigs.k8s.io/yaml`): the first document, go-yaml v2's YAML 1.1 scalars (`yes` is `true`,
    /// `0755` is 493). It is the same reader Sluice loads manifests with, so an object applied from a
    /// file reads the same either way. A key written twice is refused, as the API server refuses it
    /// under `fieldValidation=Strict` (kubectl's default); without it the real server keeps the
    /// last value.
    static func parseYAMLDocument(_ bytes: [UInt8]) throws(APIStatus) -> JSONValue {
        if let json = try? JSONValue.parse(bytes) { return json }
        let read = KubeYAMLReader.read(
            bytes, maxAliasNodes: 100_000, maxDepth: 512, firstDocumentOnly: true)
        if let document = read.documents.first {
            switch document.result {
            case .success(let value): return value
            case .failure(let failure): throw APIStatus.badRequest("error decoding YAML: \(describe(failure))")
            }
        }
        if let stop = read.stop { throw APIStatus.badRequest("error decoding YAML: \(describe(stop.failure))") }
        return .null
    }

    private static func describe(_ failure: YAMLNodeConverter.Failure) -> String {
        var path = ""
        for step in failure.path {
            switch step {
            case .key(let key): path += path.isEmpty ? key : "." + key
            case .index(let index): path += "[\(index)]"
            }
        }
        return path.isEmpty ? failure.message : "\(path): \(failure.message)"
    }
}
