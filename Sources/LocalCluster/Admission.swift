import KubeModel

/// Validation and defaulting of objects on their way into the store, per kind, with the error
/// messages and field paths the real API server uses.
enum Admission {
    /// DNS-1123 subdomain: lower-case alphanumerics, '-' and '.', starting and ending alphanumeric, at most 253.
    static func dnsSubdomainErrors(_ name: String) -> [String] {
        var errors: [String] = []
        if name.count > 253 { errors.append("must be no more than 253 characters") }
        let valid = name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isLabel(Substring($0)) }
        if !valid || name.isEmpty {
            errors.append(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            )
        }
        return errors
    }

    /// DNS-1123 label: like a subdomain without dots, at most 63.
    static func dnsLabelErrors(_ name: String) -> [String] {
        var errors: [String] = []
        if name.count > 63 { errors.append("must be no more than 63 characters") }
        if !isLabel(Substring(name)) {
            errors.append(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
            )
        }
        return errors
    }

    private static func isLabel(_ text: Substring) -> Bool {
        guard let first = text.utf8.first, let last = text.utf8.last else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool { (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) }
        return alphanumeric(first) && alphanumeric(last) && text.utf8.allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// The name rules of a kind: most use DNS subdomains; namespaces and services DNS labels; RBAC
    /// objects any path segment.
    static func nameErrors(_ name: String, resource: ResourceType) -> [String] {
        switch (resource.group, resource.kind) {
        case ("", "Namespace"), ("", "Service"):
            return dnsLabelErrors(name)
        case ("rbac.authorization.k8s.io", _):
            if name == "." || name == ".." { return ["may not be '\(name)'"] }
            if name.contains("/") || name.contains("%") { return ["may not contain '/' or '%'"] }
            return name.isEmpty ? ["name or generateName is required"] : []
        default:
            return dnsSubdomainErrors(name)
        }
    }

    /// Label keys (`prefix/name`) and values as Kubernetes validates them.
    static func labelErrors(_ labels: [String: String]) -> [APIStatus.Cause] {
        var causes: [APIStatus.Cause] = []
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            let name = key.split(separator: "/", maxSplits: 1).last.map(String.init) ?? key
            if !isQualifiedName(name) || key.split(separator: "/").count > 2 {
                causes.append(
                    APIStatus.Cause(
                        reason: "FieldValueInvalid",
                        message: "Invalid value: \"\(key)\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                        field: "metadata.labels"))
            }
            if !value.isEmpty && (!isQualifiedName(value) || value.count > 63) {
                causes.append(
                    APIStatus.Cause(
                        reason: "FieldValueInvalid",
                        message: "Invalid value: \"\(value)\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                        field: "metadata.labels"))
            }
        }
        return causes
    }

    private static func isQualifiedName(_ text: String) -> Bool {
        guard let first = text.first, let last = text.last, text.count <= 63 else { return false }
        return first.isASCII && (first.isLetter || first.isNumber) && last.isASCII && (last.isLetter || last.isNumber)
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
    }

    /// Checks shared by every create and update: name, labels, and the kind-specific rules.
    static func validate(_ object: JSONValue, old: JSONValue?, resource: ResourceType) throws(APIStatus) {
        try KindRules.decodeBytes(object, resource: resource)
        let name = object.name ?? ""
        var causes: [APIStatus.Cause] = []
        for message in nameErrors(name, resource: resource) {
            causes.append(APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: \"\(name)\": \(message)", field: "metadata.name"))
        }
        causes += labelErrors(object.labels)
        causes += KindRules.validate(object, old: old, resource: resource)
        if !causes.isEmpty {
            throw APIStatus.invalid(resource.groupKind, name: name, causes: causes)
        }
    }
}
