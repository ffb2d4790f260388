import Yams

/// Refuses YAML whose mapping keys are aliases to mappings or sequences, or are themselves mappings
/// or sequences, before the real parse.
///
/// The YAML library compares mapping keys by hashing them whole while it composes a document, so a
/// key that is an alias to a "billion laughs" structure would take hours before any limit applies.
/// This guard composes a copy of the text in which every `*` is replaced by a character the text does
/// not contain, which turns every alias into a plain scalar (so nothing can expand), and then looks at
/// the keys. Kubernetes objects only ever have string keys, so nothing valid is refused.
package enum YAMLAliasKeyGuard {
    /// Why `text` is refused, as (document, message); `nil` when its keys are safe to compose.
    package static func problem(in text: String) -> (document: Int, message: String)? {
        // Without both an anchor and an alias there is nothing to expand.
        guard text.utf8.contains(UInt8(ascii: "&")), text.utf8.contains(UInt8(ascii: "*")) else { return nil }
        guard let placeholder = placeholder(absentFrom: text) else {
            return (1, "the text uses every placeholder character this check needs; remove YAML aliases")
        }
        var defanged = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { defanged.append(scalar == "*" ? placeholder : scalar) }
        var document = 0
        do {
            let parser = try Parser(yaml: String(defanged), resolver: .basic, encoding: .utf8)
            var collections: [String: Bool] = [:]
            while let root = try parser.nextRoot() {
                document += 1
                if let message = inspect(root, placeholder: placeholder, collections: &collections) {
                    return (document, message)
                }
            }
        } catch {
            return (document + 1, "invalid YAML: \(YAMLErrorText.describe(error))")
        }
        return nil
    }

    /// Walks a node in document order, recording which anchors name collections.
    private static func inspect(_ node: Node, placeholder: Unicode.Scalar, collections: inout [String: Bool]) -> String? {
        var children: [Node] = []
        switch node {
        case .scalar, .alias:
            break
        case .sequence(let sequence):
            children = Array(sequence)
        case .mapping(let mapping):
            for (key, value) in mapping {
                switch key {
                case .scalar(let scalar):
                    if scalar.style == .plain, scalar.string.unicodeScalars.first == placeholder,
                        collections[String(scalar.string.unicodeScalars.dropFirst())] == true
                    {
                        return "an alias to a mapping or sequence cannot be a mapping key (line \(scalar.mark?.line ?? 0))"
                    }
                default:
                    return "a mapping key must be a string (line \(key.mark?.line ?? 0))"
                }
                children.append(value)
            }
        }
        for child in children {
            if let message = inspect(child, placeholder: placeholder, collections: &collections) { return message }
        }
        if let anchor = node.anchor {
            if case .scalar = node { collections[anchor.rawValue] = false } else { collections[anchor.rawValue] = true }
        }
        return nil
    }

    private static func placeholder(absentFrom text: String) -> Unicode.Scalar? {
        for value in UInt32(0xE000)...UInt32(0xE0FF) {
            guard let scalar = Unicode.Scalar(value) else { continue }
            if !text.unicodeScalars.contains(scalar) { return scalar }
        }
        return nil
    }
}
