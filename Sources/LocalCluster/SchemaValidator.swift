import KubeModel

/// Types an object against a schema (``KubernetesSchemas``), as the API server does when it
/// decodes a body: it finds fields the schema does not declare and values of the wrong type, and
/// returns the object without the undeclared fields (what a server keeps when it drops them).
struct SchemaValidator {
    /// One step of a path: a field, a list element (with the element, for its keys) or a map key.
    enum Segment: Sendable, Hashable {
        case field(String)
        case element(Int, key: String?)
        case mapKey(String)
    }

    struct Finding: Sendable, Hashable {
        enum Problem: Sendable, Hashable {
            case undeclared
            /// `expected` is the schema's type; `goType` what the server's decoder names.
            case wrongType(expected: String, goType: String)
            /// Two elements of an associative list (`x-kubernetes-list-type: map` or `set`) with one
            /// key: `[name="A"]`. Only server-side apply refuses them (a create keeps both).
            case duplicateKey(String)
        }
        var path: [Segment]
        var problem: Problem
        var value: JSONValue
        /// The Go struct that holds the field, as decoding errors name it (`DeploymentSpec`).
        var goStruct: String
    }

    let definitions: [String: JSONValue]
    private(set) var findings: [Finding] = []

    init(definitions: [String: JSONValue] = KubernetesSchemas.definitions) {
        self.definitions = definitions
    }

    var undeclared: [Finding] { findings.filter { $0.problem == .undeclared } }
    var wrongTypes: [Finding] {
        findings.filter {
            if case .wrongType = $0.problem { return true }
            return false
        }
    }

    /// Checks `value` against `schema` and returns it without undeclared fields.
    mutating func check(_ value: JSONValue, against schema: JSONValue, rootStruct: String) -> JSONValue {
        walk(value, schema, path: [], goStruct: rootStruct)
    }

    private func resolve(_ node: JSONValue) -> (node: JSONValue, definition: String?) {
        var current = node
        var name: String?
        var hops = 0
        while let reference = current["r"]?.stringValue, hops < 8 {
            name = reference
            current = definitions[reference] ?? ["t": "any"]
            hops += 1
        }
        return (current, name)
    }

    private mutating func walk(_ value: JSONValue, _ schemaNode: JSONValue, path: [Segment], goStruct: String) -> JSONValue {
        let (node, definition) = resolve(schemaNode)
        let type = node["t"]?.stringValue ?? "any"
        if case .null = value { return value }
        guard Self.matches(value, type) else {
            findings.append(Finding(path: path, problem: .wrongType(expected: type, goType: goType(schemaNode)), value: value, goStruct: goStruct))
            return value
        }
        switch value {
        case .object(let members) where type == "object":
            let properties = node["p"]?.objectValue
            let additional = node["a"]
            let preserve = node["pu"]?.boolValue == true
            let holder = definition.map { String(KubernetesSchemas.goType(ofDefinition: $0).split(separator: ".").last ?? "") } ?? goStruct
            var kept: [String: JSONValue] = [:]
            for key in members.keys.sorted() {
                guard let member = members[key] else { continue }
                if let property = properties?[key] {
                    kept[key] = walk(member, property, path: path + [.field(key)], goStruct: holder)
                } else if let additional {
                    kept[key] = walk(member, additional, path: path + [.mapKey(key)], goStruct: holder)
                } else if preserve {
                    kept[key] = member
                } else {
                    findings.append(Finding(path: path + [.field(key)], problem: .undeclared, value: member, goStruct: holder))
                }
            }
            return .object(kept)
        case .array(let elements) where type == "array":
            guard let items = node["i"] else { return value }
            let keys = node["lk"]?.arrayValue?.compactMap(\.stringValue)
            let set = node["lt"]?.stringValue == "set"
            let associative = set || node["lt"]?.stringValue == "map"
            var seen = Set<String>()
            return .array(elements.enumerated().map { index, element in
                let key = Self.elementKey(element, keys: keys, set: set)
                if associative, let key, !seen.insert(key).inserted {
                    findings.append(Finding(path: path, problem: .duplicateKey(key), value: element, goStruct: goStruct))
                }
                return walk(element, items, path: path + [.element(index, key: key)], goStruct: goStruct)
            })
        default:
            return value
        }
    }

    /// How structured-merge-diff names a list element: `[name="web"]` by its keys, `[=value]` in a set.
    static func elementKey(_ element: JSONValue, keys: [String]?, set: Bool) -> String? {
        if set { return "=" + Self.keyText(element) }
        guard let keys, !keys.isEmpty else { return nil }
        let parts = keys.compactMap { key in element[key].map { "\(key)=\(Self.keyText($0))" } }
        return parts.isEmpty ? nil : parts.joined(separator: ",")
    }

    private static func keyText(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return "\"\(text)\""
        default: return value.serialized()
        }
    }

    static func matches(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("any", _), (_, .null): return true
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool): return true
        case ("integer", .int), ("number", .int), ("number", .double): return true
        case ("integer", .double(let number)): return number.rounded() == number
        case ("int-or-string", .int), ("int-or-string", .string): return true
        case ("int-or-string", .double(let number)): return number.rounded() == number
        case ("quantity", .string), ("quantity", .int), ("quantity", .double): return true
        default: return false
        }
    }

    /// The Go type a schema node decodes into, as `json: cannot unmarshal` errors name it.
    func goType(_ schemaNode: JSONValue) -> String {
        if let reference = schemaNode["r"]?.stringValue {
            let resolved = resolve(schemaNode).node
            switch resolved["t"]?.stringValue {
            case "object"?, "int-or-string"?, "quantity"?: return KubernetesSchemas.goType(ofDefinition: reference)
            default: return goType(resolved)
            }
        }
        switch schemaNode["t"]?.stringValue {
        case "string"?: return "string"
        case "integer"?: return schemaNode["f"]?.stringValue == "int32" ? "int32" : "int64"
        case "number"?: return "float64"
        case "boolean"?: return "bool"
        case "int-or-string"?: return "intstr.IntOrString"
        case "quantity"?: return "resource.Quantity"
        case "array"?: return "[]" + (schemaNode["i"].map(goType) ?? "interface {}")
        case "object"?: return schemaNode["a"].map { "map[string]" + goType($0) } ?? "map[string]interface {}"
        default: return "interface {}"
        }
    }
}

extension SchemaValidator.Finding {
    /// The path as a strict decoder names an unknown field: `spec.template.spec.containers[0].imagePullPolice`.
    var strictPath: String {
        var text = ""
        for segment in path {
            switch segment {
            case .field(let name), .mapKey(let name): text += (text.isEmpty ? "" : ".") + name
            case .element(let index, _): text += "[\(index)]"
            }
        }
        return text
    }

    /// The path as Go's JSON decoder names a field in a type error: no list indices or map keys.
    var goFieldPath: String {
        path.compactMap { segment -> String? in
            if case .field(let name) = segment { return name }
            return nil
        }.joined(separator: ".")
    }

    /// The path as structured-merge-diff prints it: `.spec.containers[name="web"].image`.
    var typedPath: String {
        var text = ""
        for segment in path {
            switch segment {
            case .field(let name), .mapKey(let name): text += "." + name
            case .element(let index, let key): text += "[\(key ?? String(index))]"
            }
        }
        return text
    }

    /// The path as `field.Path` prints it: `spec.items[0].size`, map keys in brackets.
    var fieldPath: String {
        var text = ""
        for segment in path {
            switch segment {
            case .field(let name): text += (text.isEmpty ? "" : ".") + name
            case .mapKey(let name): text += "[\(name)]"
            case .element(let index, _): text += "[\(index)]"
            }
        }
        return text
    }

    /// What Go's JSON decoder calls the value: `string`, `number`, `bool`, `object`, `array`.
    var jsonKind: String {
        switch value {
        case .string: return "string"
        case .int: return "number"
        case .double(let number): return number.rounded() == number ? "number" : "number \(JSONValue.double(number).serialized())"
        case .bool: return "bool"
        case .object: return "object"
        case .array: return "array"
        case .null: return "null"
        }
    }

    /// The JSON-schema type of the value, as CRD validation names it.
    var schemaKind: String {
        switch value {
        case .string: return "string"
        case .int: return "integer"
        case .double: return "number"
        case .bool: return "boolean"
        case .object: return "object"
        case .array: return "array"
        case .null: return "null"
        }
    }
}
