import Foundation
import KubeModel

/// A parsed label selector, as `?labelSelector=` and `spec.selector` express it.
struct LabelSelector: Sendable, Equatable {
    enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case notExists(String)
    }

    var requirements: [Requirement]

    static let everything = LabelSelector(requirements: [])

    /// Parses the text form: `app=web,tier!=db,env in (a,b),!legacy,track`.
    init(parsing text: String) throws(APIStatus) {
        var requirements: [Requirement] = []
        for clause in Self.splitClauses(text) {
            let part = clause.trimmingCharacters(in: .whitespaces)
            if part.isEmpty { continue }
            if part.hasPrefix("!") {
                requirements.append(.notExists(try Self.key(String(part.dropFirst()), in: text)))
            } else if let range = part.range(of: " notin ") ?? part.range(of: " notin(") {
                let key = try Self.key(String(part[..<range.lowerBound]), in: text)
                requirements.append(.notIn(key, try Self.values(String(part[range.upperBound...]), in: text, prefixParen: part[range].hasSuffix("("))))
            } else if let range = part.range(of: " in ") ?? part.range(of: " in(") {
                let key = try Self.key(String(part[..<range.lowerBound]), in: text)
                requirements.append(.isIn(key, try Self.values(String(part[range.upperBound...]), in: text, prefixParen: part[range].hasSuffix("("))))
            } else if let range = part.range(of: "!=") {
                requirements.append(.notEquals(try Self.key(String(part[..<range.lowerBound]), in: text), String(part[range.upperBound...]).trimmingCharacters(in: .whitespaces)))
            } else if let range = part.range(of: "==") ?? part.range(of: "=") {
                requirements.append(.equals(try Self.key(String(part[..<range.lowerBound]), in: text), String(part[range.upperBound...]).trimmingCharacters(in: .whitespaces)))
            } else {
                requirements.append(.exists(try Self.key(part, in: text)))
            }
        }
        self.requirements = requirements
    }

    init(requirements: [Requirement]) {
        self.requirements = requirements
    }

    /// The selector of a `metav1.LabelSelector` object (`matchLabels` and `matchExpressions`).
    init(object: JSONValue) {
        var requirements: [Requirement] = []
        for (key, value) in (object["matchLabels"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            requirements.append(.equals(key, value.stringValue ?? ""))
        }
        for expression in object["matchExpressions"]?.arrayValue ?? [] {
            let key = expression["key"]?.stringValue ?? ""
            let values = Set(expression["values"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            switch expression["operator"]?.stringValue {
            case "In": requirements.append(.isIn(key, values))
            case "NotIn": requirements.append(.notIn(key, values))
            case "Exists": requirements.append(.exists(key))
            case "DoesNotExist": requirements.append(.notExists(key))
            default: break
            }
        }
        self.requirements = requirements
    }

    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): return labels[key] == value
            case .notEquals(let key, let value): return labels[key] != value
            case .isIn(let key, let values): return labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): return !(labels[key].map(values.contains) ?? false)
            case .exists(let key): return labels[key] != nil
            case .notExists(let key): return labels[key] == nil
            }
        }
    }

    /// Splits on commas that are not inside parentheses.
    private static func splitClauses(_ text: String) -> [String] {
        var clauses: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            switch character {
            case "(": depth += 1; current.append(character)
            case ")": depth -= 1; current.append(character)
            case "," where depth == 0: clauses.append(current); current = ""
            default: current.append(character)
            }
        }
        clauses.append(current)
        return clauses
    }

    private static func key(_ raw: String, in text: String) throws(APIStatus) -> String {
        let key = raw.trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || "-_./".contains($0) }) else {
            throw APIStatus.badRequest("unable to parse requirement: invalid label key \"\(key)\" in selector \"\(text)\"")
        }
        return key
    }

    private static func values(_ raw: String, in text: String, prefixParen: Bool) throws(APIStatus) -> Set<String> {
        var body = raw.trimmingCharacters(in: .whitespaces)
        if !prefixParen {
            guard body.hasPrefix("(") else { throw APIStatus.badRequest("unable to parse requirement: expected '(' in selector \"\(text)\"") }
            body.removeFirst()
        }
        guard body.hasSuffix(")") else { throw APIStatus.badRequest("unable to parse requirement: expected ')' in selector \"\(text)\"") }
        body.removeLast()
        return Set(body.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }
}

/// A parsed field selector: `metadata.name=x,metadata.namespace!=y` (and a few kind-specific fields).
struct FieldSelector: Sendable, Equatable {
    var requirements: [(field: String, value: String, equal: Bool)]

    static func == (lhs: FieldSelector, rhs: FieldSelector) -> Bool {
        lhs.requirements.elementsEqual(rhs.requirements) { $0.field == $1.field && $0.value == $1.value && $0.equal == $1.equal }
    }

    init(parsing text: String) throws(APIStatus) {
        var requirements: [(field: String, value: String, equal: Bool)] = []
        for clause in text.split(separator: ",") {
            let part = String(clause).trimmingCharacters(in: .whitespaces)
            if part.isEmpty { continue }
            if let range = part.range(of: "!=") {
                requirements.append((String(part[..<range.lowerBound]), String(part[range.upperBound...]), false))
            } else if let range = part.range(of: "==") ?? part.range(of: "=") {
                requirements.append((String(part[..<range.lowerBound]), String(part[range.upperBound...]), true))
            } else {
                throw APIStatus.badRequest("invalid selector: '\(text)'; can't understand '\(part)'")
            }
        }
        for requirement in requirements where Self.value(of: requirement.field, in: .emptyObject) == nil {
            throw APIStatus.badRequest("field label not supported: \(requirement.field)")
        }
        self.requirements = requirements
    }

    func matches(_ object: JSONValue) -> Bool {
        requirements.allSatisfy { requirement in
            (Self.value(of: requirement.field, in: object) == requirement.value) == requirement.equal
        }
    }

    /// The value a supported field has in `object` ("" when absent); nil for an unsupported field.
    private static func value(of field: String, in object: JSONValue) -> String? {
        switch field {
        case "metadata.name": return object.name ?? ""
        case "metadata.namespace": return object.namespace ?? ""
        case "status.phase": return object[path: ["status", "phase"]]?.stringValue ?? ""
        case "spec.nodeName": return object[path: ["spec", "nodeName"]]?.stringValue ?? ""
        case "type": return object["type"]?.stringValue ?? ""
        case "involvedObject.name": return object[path: ["involvedObject", "name"]]?.stringValue ?? ""
        case "involvedObject.kind": return object[path: ["involvedObject", "kind"]]?.stringValue ?? ""
        case "involvedObject.namespace": return object[path: ["involvedObject", "namespace"]]?.stringValue ?? ""
        case "involvedObject.uid": return object[path: ["involvedObject", "uid"]]?.stringValue ?? ""
        default: return nil
        }
    }
}
