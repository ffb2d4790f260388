import KubeModel
import KubeYAML
import Yams

/// One field of a parsed kubeconfig file, with the file and field path that error messages name.
///
/// Reads values the way client-go does after its YAML-to-JSON step: an empty string or `null` is
/// the same as leaving the field out. Scalars are read by their text, so `token: 12345` is the
/// string `"12345"` rather than a type error.
struct KubeConfigNode {
    /// The YAML node; nil when the field is absent.
    let node: Node?
    /// The file the node came from.
    let file: String
    /// The field's path, e.g. `clusters[0].cluster.server`; empty for the document itself.
    let path: String

    /// The member `key` of this mapping (absent when this node is absent or has no such key).
    func child(_ key: String) -> KubeConfigNode {
        let childPath = path.isEmpty ? key : "\(path).\(key)"
        guard case .mapping(let mapping)? = node else {
            return KubeConfigNode(node: nil, file: file, path: childPath)
        }
        let value = mapping.first { pair in pair.key.scalar?.string == key }?.value
        return KubeConfigNode(node: value, file: file, path: childPath)
    }

    /// True when the field is present and not `null`.
    var isPresent: Bool {
        guard let node else { return false }
        return !Self.isNull(node)
    }

    /// Checks that the field is a mapping (or absent).
    func requireMapping() throws(KubeConfigError) {
        guard let node, !Self.isNull(node) else { return }
        guard case .mapping = node else { throw failure("expected a mapping, found \(Self.kind(of: node))") }
    }

    /// The elements of a sequence; empty when absent.
    func elements() throws(KubeConfigError) -> [KubeConfigNode] {
        guard let node, !Self.isNull(node) else { return [] }
        guard case .sequence(let sequence) = node else {
            throw failure("expected a list, found \(Self.kind(of: node))")
        }
        return sequence.enumerated().map { index, element in
            KubeConfigNode(node: element, file: file, path: "\(path)[\(index)]")
        }
    }

    /// The text of a scalar; nil when absent, `null` or empty.
    func string() throws(KubeConfigError) -> String? {
        guard let node, !Self.isNull(node) else { return nil }
        guard case .scalar(let scalar) = node else {
            throw failure("expected a string, found \(Self.kind(of: node))")
        }
        return scalar.string.isEmpty ? nil : scalar.string
    }

    /// A boolean; nil when absent.
    func bool() throws(KubeConfigError) -> Bool? {
        guard let node, !Self.isNull(node) else { return nil }
        guard case .scalar(let scalar) = node, scalar.style == .plain, case .bool(let flag) = YAMLScalarResolver.resolve(plain: scalar.string)
        else {
            throw failure("expected true or false")
        }
        return flag
    }

    /// A list of strings; empty when absent.
    func stringList() throws(KubeConfigError) -> [String] {
        var result: [String] = []
        for element in try elements() {
            result.append(try element.string() ?? "")
        }
        return result
    }

    /// An error about this field. `problem` must not quote secret values.
    func failure(_ problem: String, code: KubeConfigError.Code = .invalid) -> KubeConfigError {
        KubeConfigError(code, file: file, field: path.isEmpty ? "document" : path, problem)
    }

    private static func isNull(_ node: Node) -> Bool {
        // A plain `null`, `~` or nothing, as go-yaml reads it; a quoted "null" is a string.
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return YAMLScalarResolver.resolve(plain: scalar.string) == .null
    }

    private static func kind(of node: Node) -> String {
        switch node {
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}
