import Foundation
import KubeModel
import Yams

/// Turns composed YAML nodes into ``JSONValue``s as `kubectl` and the API server read them
/// (`sigs.k8s.io/yaml`: go-yaml v2 into Go values, then JSON), within limits.
///
/// Aliases are expanded, but each anchored node is converted once and shared afterwards, and every
/// node an alias (or merge key) brings in again is counted: a document whose aliases expand beyond
/// the limit is refused before the expansion costs anything.
package struct YAMLNodeConverter {
    /// Why a node could not be converted, with the path to it.
    package struct Failure: Error, Sendable {
        /// What kind of problem: the reader's callers map these to their own error codes.
        package enum Kind: Sendable {
            /// Not YAML a Kubernetes client accepts (bad tags, unresolved aliases, duplicate keys).
            case invalidYAML
            /// YAML, but with no JSON form (non-string keys that are not scalars, infinities, null keys).
            case invalidObject
            /// Beyond the alias or nesting limits.
            case limitExceeded
        }

        /// One step of the path to the failing node.
        package enum Step: Sendable, Hashable {
            case key(String)
            case index(Int)
        }

        package var kind: Kind
        package var path: [Step]
        package var message: String

        init(_ kind: Kind, _ message: String, at mark: Mark? = nil) {
            self.kind = kind
            self.path = []
            self.message = mark.map { "\(message) (line \($0.line), column \($0.column))" } ?? message
        }

        func prefixed(by step: Step) -> Failure {
            var failure = self
            failure.path.insert(step, at: 0)
            return failure
        }
    }

    private struct AnchorKey: Hashable {
        var anchor: String
        var line: Int
        var column: Int
    }

    package let maxAliasNodes: Int
    package let maxDepth: Int
    private var aliasNodes = 0
    private var converted: [AnchorKey: (value: JSONValue, size: Int)] = [:]

    package init(maxAliasNodes: Int, maxDepth: Int) {
        self.maxAliasNodes = maxAliasNodes
        self.maxDepth = maxDepth
    }

    /// The value of one document's root node. The alias budget is per document.
    package mutating func convertDocument(_ node: Node) throws(Failure) -> JSONValue {
        aliasNodes = 0
        return try convert(node, depth: 0).value
    }

    private mutating func convert(_ node: Node, depth: Int) throws(Failure) -> (value: JSONValue, size: Int) {
        guard depth <= maxDepth else {
            throw Failure(.limitExceeded, "nesting deeper than \(maxDepth) levels", at: node.mark)
        }
        var key: AnchorKey?
        if let anchor = node.anchor, let mark = node.mark {
            let anchorKey = AnchorKey(anchor: anchor.rawValue, line: mark.line, column: mark.column)
            if let known = converted[anchorKey] {
                try countAliasNodes(known.size, at: node.mark)
                return known
            }
            key = anchorKey
        }
        let result: (value: JSONValue, size: Int)
        switch node {
        case .scalar(let scalar):
            result = (try Self.scalarValue(scalar), 1)
        case .sequence(let sequence):
            var elements: [JSONValue] = []
            elements.reserveCapacity(sequence.count)
            var size = 1
            for (position, element) in sequence.enumerated() {
                do {
                    let child = try convert(element, depth: depth + 1)
                    elements.append(child.value)
                    size += child.size
                } catch {
                    throw error.prefixed(by: .index(position))
                }
            }
            result = (.array(elements), size)
        case .mapping(let mapping):
            result = try convertMapping(mapping, depth: depth)
        case .alias(let alias):
            throw Failure(.invalidYAML, "unresolved alias *\(alias.anchor.rawValue)", at: alias.mark)
        }
        if let key { converted[key] = result }
        return result
    }

    private mutating func convertMapping(_ mapping: Node.Mapping, depth: Int) throws(Failure) -> (value: JSONValue, size: Int) {
        var members: [String: JSONValue] = [:]
        members.reserveCapacity(mapping.count)
        var merged: [String: JSONValue] = [:]
        var size = 1
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                throw Failure(.invalidObject, "a mapping key must be a string, not a mapping or sequence", at: keyNode.mark)
            }
            let isPlain = keyScalar.style == .plain || keyScalar.style == .any
            if isPlain && keyScalar.string == "<<" {
                // The aliases a merge names are counted where they are converted.
                let value = try convert(valueNode, depth: depth + 1)
                size += value.size
                try Self.merge(value.value, into: &merged, at: valueNode.mark)
                continue
            }
            let name = try Self.keyText(keyScalar)
            // Two keys that read the same (`true` and `yes`) are one key written twice: refused, as
            // kubectl's strict decoding (its default) refuses any key written twice.
            guard members[name] == nil else {
                throw Failure(.invalidYAML, "mapping key \"\(name)\" appears more than once", at: keyNode.mark)
            }
            do {
                let child = try convert(valueNode, depth: depth + 1)
                members[name] = child.value
                size += child.size
            } catch {
                throw error.prefixed(by: .key(name))
            }
        }
        // Keys written in the mapping win over merged ones, as the YAML merge key type says.
        for (name, value) in merged where members[name] == nil { members[name] = value }
        return (.object(members), size)
    }

    /// Adds the members of a merge key's value: a mapping, or a sequence of mappings where earlier
    /// ones win.
    private static func merge(_ value: JSONValue, into merged: inout [String: JSONValue], at mark: Mark?) throws(Failure) {
        let sources: [JSONValue]
        switch value {
        case .object: sources = [value]
        case .array(let elements): sources = elements
        default: throw Failure(.invalidYAML, "a merge key (<<) needs a mapping or a sequence of mappings", at: mark)
        }
        for source in sources {
            guard let members = source.objectValue else {
                throw Failure(.invalidYAML, "a merge key (<<) needs a mapping or a sequence of mappings", at: mark)
            }
            for (name, member) in members where merged[name] == nil { merged[name] = member }
        }
    }

    private mutating func countAliasNodes(_ count: Int, at mark: Mark?) throws(Failure) {
        aliasNodes += count
        guard aliasNodes <= maxAliasNodes else {
            throw Failure(
                .limitExceeded,
                "aliases expand to more than \(maxAliasNodes) nodes; the document is refused (a \"billion laughs\" document?)",
                at: mark)
        }
    }

    /// A key as `sigs.k8s.io/yaml` names it in JSON: a key that go-yaml reads as a number or a
    /// Boolean becomes its Go text (`1` is "1", `yes` is "true", `1.50` is "1.5"); a null key has
    /// no JSON form and is refused, as `kubectl` refuses it ("Unsupported map key of type: <nil>").
    private static func keyText(_ scalar: Node.Scalar) throws(Failure) -> String {
        let isPlain = scalar.style == .plain || scalar.style == .any
        let value: JSONValue
        switch scalar.tag.rawValue {
        case "", Tag.Name.str.rawValue, Tag.Name.nonSpecific.rawValue:
            // The composer tags keys as it hashes them: a plain key is resolved here whatever it says.
            value = isPlain ? YAMLScalarResolver.resolve(plain: scalar.string) : .string(scalar.string)
        default:
            value = try scalarValue(scalar, asKey: true)
        }
        switch value {
        case .string(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number): return GoFloatText.shortest32(number)
        case .null: throw Failure(.invalidObject, "a mapping key cannot be null", at: scalar.mark)
        default: return scalar.string
        }
    }

    private static func scalarValue(_ scalar: Node.Scalar, asKey: Bool = false) throws(Failure) -> JSONValue {
        let isPlain = scalar.style == .plain || scalar.style == .any
        let value: JSONValue
        switch scalar.tag.rawValue {
        case "":
            value = isPlain ? YAMLScalarResolver.resolve(plain: scalar.string) : .string(scalar.string)
        case Tag.Name.null.rawValue:
            value = .null
        case Tag.Name.bool.rawValue:
            guard let flag = YAMLScalarResolver.bool(scalar.string) else {
                throw Failure(.invalidYAML, "\"\(scalar.string)\" is not a !!bool", at: scalar.mark)
            }
            value = .bool(flag)
        case Tag.Name.int.rawValue, Tag.Name.float.rawValue:
            guard let number = YAMLScalarResolver.number(scalar.string) ?? YAMLScalarResolver.specialWords[scalar.string],
                let double = number.doubleValue
            else {
                throw Failure(.invalidYAML, "\"\(scalar.string)\" is not a number", at: scalar.mark)
            }
            value = scalar.tag.rawValue == Tag.Name.float.rawValue ? .double(double) : number
        case Tag.Name.binary.rawValue:
            // go-yaml v2 hands the decoded bytes on as a Go string; JSON then writes invalid UTF-8
            // as U+FFFD.
            let compact = scalar.string.filter { !$0.isWhitespace }
            guard let data = Data(base64Encoded: compact) else {
                throw Failure(.invalidYAML, "!!binary value contains invalid base64 data", at: scalar.mark)
            }
            value = .string(String(decoding: data, as: UTF8.self))
        case Tag.Name.str.rawValue, Tag.Name.nonSpecific.rawValue, Tag.Name.timestamp.rawValue:
            value = .string(scalar.string)
        default:
            // Tags Kubernetes does not know (`!Ref`, ...): read the text as if untagged.
            value = isPlain ? YAMLScalarResolver.resolve(plain: scalar.string) : .string(scalar.string)
        }
        guard case .double(let number) = value, !asKey else { return value }
        if !number.isFinite {
            throw Failure(.invalidObject, "\(scalar.string) cannot be represented in JSON", at: scalar.mark)
        }
        // The JSON `kubectl` sends writes a whole float64 without a fraction (`1e3` is `1000`), and
        // the server reads that back as an integer when it fits in 64 bits.
        if number == number.rounded(), abs(number) < 9.223372036854775807e18 { return .int(Int64(number)) }
        return value
    }
}
