import KubeModel

/// `?fieldValidation=`: what the server does with fields its schema does not declare.
enum FieldValidation: String, Sendable {
    /// Refuse the request.
    case strict = "Strict"
    /// Drop the fields and say so in a `Warning` header: the server's default.
    case warn = "Warn"
    /// Drop the fields silently.
    case ignore = "Ignore"
}

extension ClusterAPI {
    func fieldValidation(_ request: APIRequest) throws(APIStatus) -> FieldValidation {
        guard let text = request.query["fieldValidation"], !text.isEmpty else { return .warn }
        guard let directive = FieldValidation(rawValue: text) else {
            throw APIStatus.badRequest("fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", not \"\(text)\"")
        }
        return directive
    }

    /// The compact schema objects of `resource` are typed with, or nil when there is none.
    func schema(for resource: ResourceType) -> JSONValue? {
        if resource.isCustom { return resource.openAPISchema }
        return KubernetesSchemas.root(for: resource.gvk)
    }

    /// Decodes a create or update body as the server does: a value of the wrong type refuses it
    /// (400 for a built-in kind, as Go's decoder fails; 422 for a custom kind, as its schema
    /// validation does), undeclared fields are refused, warned about or dropped by `directive`.
    func decodedFields(_ body: JSONValue, resource: ResourceType, directive: FieldValidation, warnings: inout [String]) throws(APIStatus) -> JSONValue {
        let cannotHandle = "\(resource.kind) in version \"\(resource.version)\" cannot be handled as a \(resource.kind)"
        return try typedFields(body, resource: resource, directive: directive, warnings: &warnings) { APIStatus.badRequest("\(cannotHandle): \($0)") }
    }

    /// Types a patched object as the server does after a JSON, merge or strategic merge patch:
    /// a problem with a built-in kind is reported against the patched document (`patch: Invalid value`).
    func patchedFields(_ patched: JSONValue, resource: ResourceType, directive: FieldValidation, warnings: inout [String]) throws(APIStatus) -> JSONValue {
        try typedFields(patched, resource: resource, directive: directive, warnings: &warnings) { message in
            APIStatus.invalid(
                GroupKind(group: "", kind: ""), name: "",
                causes: [APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: \(Self.quoted(patched.serialized())): \(message)", field: "patch")])
        }
    }

    /// The object without its undeclared fields, or the refusal: a built-in kind's wrong type first
    /// (decoding fails before anything else), then undeclared fields by `directive`, then a custom
    /// kind's wrong types (its schema validation runs after decoding). `refuse` words a decoding error.
    private func typedFields(
        _ object: JSONValue, resource: ResourceType, directive: FieldValidation, warnings: inout [String], refuse: (String) -> APIStatus
    ) throws(APIStatus) -> JSONValue {
        guard let schema = schema(for: resource) else { return object }
        var validator = SchemaValidator()
        let pruned = validator.check(object, against: schema, rootStruct: resource.kind)
        if !resource.isCustom, let wrong = validator.wrongTypes.first {
            throw refuse(Self.decodeError(wrong))
        }
        try settle(validator.undeclared, directive: directive, warnings: &warnings) { (message) throws(APIStatus) in throw refuse(message) }
        if resource.isCustom, !validator.wrongTypes.isEmpty {
            throw APIStatus.invalid(resource.groupKind, name: object.name ?? "", causes: validator.wrongTypes.map(Self.typeCause))
        }
        return pruned
    }

    /// Server-side apply types the applied configuration with structured-merge-diff before it
    /// merges anything: an undeclared field or a wrong type fails the request (a 500, whatever
    /// `fieldValidation` says), with the paths structured-merge-diff prints.
    func checkAppliedFields(_ applied: JSONValue, resource: ResourceType, key: ObjectKey) throws(APIStatus) {
        guard let schema = schema(for: resource) else { return }
        var validator = SchemaValidator()
        _ = validator.check(applied, against: schema, rootStruct: resource.kind)
        guard !validator.findings.isEmpty else { return }
        let lines = validator.findings.map { "\($0.typedPath): \(Self.typedMessage($0))" }
        let errors = lines.count == 1 ? lines[0] : "errors:\n" + lines.map { "  " + $0 }.joined(separator: "\n")
        let gvk = "\(resource.group)/\(resource.version), Kind=\(resource.kind)"
        throw APIStatus(reason: "", code: 500, message: "failed to create typed patch object (\(key.namespace)/\(key.name); \(gvk)): \(errors)")
    }

    private func settle(
        _ undeclared: [SchemaValidator.Finding], directive: FieldValidation, warnings: inout [String], strict: (String) throws(APIStatus) -> Void
    ) throws(APIStatus) {
        guard !undeclared.isEmpty else { return }
        let unknown = undeclared.map { "unknown field \"\($0.strictPath)\"" }
        switch directive {
        case .strict: try strict("strict decoding error: " + unknown.joined(separator: ", "))
        case .warn: warnings += unknown
        case .ignore: break
        }
    }

    /// Go's `json: cannot unmarshal` error for a value of the wrong type.
    static func decodeError(_ finding: SchemaValidator.Finding) -> String {
        guard case .wrongType(_, let goType) = finding.problem else { return "" }
        let field = finding.goFieldPath
        if field.isEmpty { return "json: cannot unmarshal \(finding.jsonKind) into Go value of type \(goType)" }
        return "json: cannot unmarshal \(finding.jsonKind) into Go struct field \(finding.goStruct).\(field) of type \(goType)"
    }

    /// A custom resource's schema validation cause: `spec.size in body must be of type integer: "string"`.
    static func typeCause(_ finding: SchemaValidator.Finding) -> APIStatus.Cause {
        guard case .wrongType(let expected, _) = finding.problem else {
            return APIStatus.Cause(reason: "FieldValueInvalid", message: "", field: finding.fieldPath)
        }
        let type = expected == "int-or-string" ? "integer,string" : expected
        return APIStatus.Cause(
            reason: "FieldValueTypeInvalid",
            message: "Invalid value: \"\(finding.schemaKind)\": \(finding.fieldPath) in body must be of type \(type): \"\(finding.schemaKind)\"",
            field: finding.fieldPath)
    }

    /// structured-merge-diff's message for one problem.
    static func typedMessage(_ finding: SchemaValidator.Finding) -> String {
        if case .duplicateKey(let key) = finding.problem { return "duplicate entries for key [\(key)]" }
        guard case .wrongType(let expected, _) = finding.problem else { return "field not declared in schema" }
        let goValue: String
        let goType: String
        switch finding.value {
        case .string(let text): goValue = Self.quoted(text); goType = "string"
        case .int(let number): goValue = String(number); goType = "int64"
        case .double(let number): goValue = JSONValue.double(number).serialized(); goType = "float64"
        case .bool(let flag): goValue = String(flag); goType = "bool"
        case .object: goValue = "map[string]interface {}{...}"; goType = "map[string]interface {}"
        case .array: goValue = "[]interface {}{...}"; goType = "[]interface {}"
        case .null: goValue = "<nil>"; goType = "<nil>"
        }
        switch expected {
        case "integer", "number": return "expected numeric (int or float), got \(goType)"
        case "string": return "expected string, got &value.valueUnstructured{Value:\(goValue)}"
        case "boolean": return "expected boolean, got &{\(goValue)}"
        case "object": return "expected map, got &{\(goValue)}"
        case "array": return "expected list, got &{\(goValue)}"
        default: return "expected scalar, got \(goType)"
        }
    }

    /// A Go `%q` of text: quoted, with quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        JSONValue.string(text).serialized()
    }
}
