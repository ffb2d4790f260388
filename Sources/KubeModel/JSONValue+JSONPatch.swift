/// JSON Patch (RFC 6902): the `application/json-patch+json` patch type.
extension JSONValue {
    /// This value with a JSON Patch applied (RFC 6902): `operations` is an array of `add`,
    /// `remove`, `replace`, `move`, `copy` and `test` operations, applied in order; if any fails,
    /// nothing is applied.
    ///
    /// Paths are JSON pointers (RFC 6901) with `~1` for `/` and `~0` for `~`; `-` names the end of
    /// an array for `add`. `test` compares numbers by value (`1` equals `1.0`) and objects without
    /// regard to member order.
    ///
    /// - Throws: ``PatchError`` with code ``PatchError/Code/malformedPatch`` when `operations` is
    ///   not an array of objects, and ``PatchError/Code/doesNotApply`` when an operation is missing
    ///   a field, names a path the document lacks, uses an index out of bounds, or a `test` fails.
    ///   The message names the operation and the path.
    public func applyingJSONPatch(_ operations: JSONValue) throws(PatchError) -> JSONValue {
        guard case .array(let steps) = operations else {
            throw .malformed("a JSON patch must be an array of operations, not \(operations.typeName)")
        }
        var document = self
        for step in steps {
            guard case .object(let fields) = step else {
                throw .malformed("a JSON patch operation must be an object, not \(step.typeName)")
            }
            try document.apply(JSONPatchOperation(fields))
        }
        return document
    }

    /// Whether two values are the same JSON: numbers compare by value, so `1` and `1.0` are equal.
    func isEquivalent(to other: JSONValue) -> Bool {
        switch (self, other) {
        case (.int(let left), .int(let right)):
            return left == right
        case (.int, .double), (.double, .int), (.double, .double):
            return doubleValue == other.doubleValue
        case (.array(let left), .array(let right)):
            return left.count == right.count && zip(left, right).allSatisfy { $0.isEquivalent(to: $1) }
        case (.object(let left), .object(let right)):
            guard left.count == right.count else { return false }
            return left.allSatisfy { key, value in right[key].map { value.isEquivalent(to: $0) } ?? false }
        default:
            return self == other
        }
    }

    private mutating func apply(_ operation: JSONPatchOperation) throws(PatchError) {
        let op = operation.op
        switch op {
        case "add":
            let value = try operation.value()
            let path = try operation.pointer("path")
            try update(path, op: op, to: value)
        case "remove":
            let path = try operation.pointer("path")
            try remove(path, op: op)
        case "replace":
            let value = try operation.value()
            let path = try operation.pointer("path")
            try update(path, op: op, mustExist: true, to: value)
        case "move":
            let from = try operation.pointer("from")
            let path = try operation.pointer("path")
            if from == path { return }
            if path.isInside(from) {
                throw .doesNotApply("move operation does not apply: cannot move \(from) into its own child \(path)")
            }
            guard let value = self.value(at: from) else {
                throw .doesNotApply("move operation does not apply: doc is missing from path: \(from)")
            }
            try remove(from, op: op)
            try update(path, op: op, to: value)
        case "copy":
            let from = try operation.pointer("from")
            let path = try operation.pointer("path")
            guard let value = self.value(at: from) else {
                throw .doesNotApply("copy operation does not apply: doc is missing from path: \(from)")
            }
            try update(path, op: op, to: value)
        case "test":
            let expected = try operation.value()
            let path = try operation.pointer("path")
            guard let actual = value(at: path) else {
                throw .doesNotApply("test operation does not apply: doc is missing path: \(path)")
            }
            guard actual.isEquivalent(to: expected) else {
                throw .doesNotApply("test operation failed for path: \(path)")
            }
        default:
            throw .doesNotApply("Unexpected kind: \(op)")
        }
    }

    /// The value a pointer names, `nil` when any step is missing.
    private func value(at pointer: JSONPointer) -> JSONValue? {
        var current = self
        for token in pointer.tokens {
            switch current {
            case .object(let members):
                guard let next = members[token] else { return nil }
                current = next
            case .array(let elements):
                guard let index = JSONPointer.index(token), index < elements.count else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }

    private mutating func remove(_ pointer: JSONPointer, op: String) throws(PatchError) {
        guard !pointer.tokens.isEmpty else {
            throw .doesNotApply("\(op) operation does not apply: cannot remove the whole document")
        }
        try update(pointer, op: op, mustExist: true, to: nil)
    }

    /// Sets the member or element the pointer names to `newValue`, or removes it when `newValue`
    /// is `nil`. Without `mustExist` (`add`) a value is inserted into an array at the index, or
    /// appended for `-`; with it (`replace`, `remove`) the target must already be there.
    private mutating func update(_ pointer: JSONPointer, op: String, mustExist: Bool = false, to newValue: JSONValue?) throws(PatchError) {
        guard let last = pointer.tokens.last else {
            if let newValue { self = newValue }
            return
        }
        try modify(pointer.tokens.dropLast()[...], pointer: pointer, op: op) { (container: inout JSONValue) throws(PatchError) in
            switch container {
            case .object(var members):
                if mustExist && members[last] == nil {
                    throw .doesNotApply("\(op) operation does not apply: doc is missing path: \(pointer)")
                }
                container = .null
                members[last] = newValue
                container = .object(members)
            case .array(var elements):
                let index: Int
                if last == "-" && !mustExist {
                    index = elements.count
                } else if let parsed = JSONPointer.index(last) {
                    index = parsed
                } else {
                    throw .doesNotApply("\(op) operation does not apply: \"\(last)\" is not an array index in path: \(pointer)")
                }
                guard index < elements.count || (index == elements.count && !mustExist) else {
                    throw .doesNotApply("\(op) operation does not apply: index \(index) is out of bounds for path: \(pointer)")
                }
                container = .null
                switch (mustExist, newValue) {
                case (true, let newValue?): elements[index] = newValue
                case (true, nil): elements.remove(at: index)
                case (false, let newValue?): elements.insert(newValue, at: index)
                case (false, nil): break
                }
                container = .array(elements)
            default:
                throw .doesNotApply("\(op) operation does not apply: doc is missing path: \(pointer)")
            }
        }
    }

    /// Walks down `tokens` and hands the value there to `body`, writing the result back on the way
    /// up. Each level is taken out of its parent while `body` runs, so arrays and dictionaries stay
    /// uniquely referenced and are not copied.
    private mutating func modify(
        _ tokens: ArraySlice<String>, pointer: JSONPointer, op: String,
        _ body: (inout JSONValue) throws(PatchError) -> Void
    ) throws(PatchError) {
        guard let token = tokens.first else {
            try body(&self)
            return
        }
        let rest = tokens.dropFirst()
        switch self {
        case .object(var members):
            guard var child = members[token] else {
                throw .doesNotApply("\(op) operation does not apply: doc is missing path: \(pointer)")
            }
            self = .null
            members[token] = nil
            defer {
                members[token] = child
                self = .object(members)
            }
            try child.modify(rest, pointer: pointer, op: op, body)
        case .array(var elements):
            guard let index = JSONPointer.index(token), index < elements.count else {
                throw .doesNotApply("\(op) operation does not apply: doc is missing path: \(pointer)")
            }
            self = .null
            var child = elements[index]
            elements[index] = .null
            defer {
                elements[index] = child
                self = .array(elements)
            }
            try child.modify(rest, pointer: pointer, op: op, body)
        default:
            throw .doesNotApply("\(op) operation does not apply: doc is missing path: \(pointer)")
        }
    }
}

/// One operation of a JSON Patch, with the fields read as the operation needs them.
private struct JSONPatchOperation {
    let fields: [String: JSONValue]
    let op: String

    init(_ fields: [String: JSONValue]) throws(PatchError) {
        guard let op = fields["op"]?.stringValue else {
            throw .doesNotApply("a JSON patch operation is missing its \"op\" field")
        }
        self.fields = fields
        self.op = op
    }

    func pointer(_ field: String) throws(PatchError) -> JSONPointer {
        guard let text = fields[field]?.stringValue else {
            throw .doesNotApply("\(op) operation is missing its \"\(field)\" field")
        }
        return try JSONPointer(text, op: op)
    }

    func value() throws(PatchError) -> JSONValue {
        guard let value = fields["value"] else {
            throw .doesNotApply("\(op) operation is missing its \"value\" field")
        }
        return value
    }
}

/// A JSON pointer (RFC 6901), split into unescaped reference tokens.
private struct JSONPointer: Equatable, CustomStringConvertible {
    let text: String
    let tokens: [String]

    init(_ text: String, op: String) throws(PatchError) {
        self.text = text
        if text.isEmpty {
            tokens = []
            return
        }
        guard text.hasPrefix("/") else {
            throw .doesNotApply("\(op) operation does not apply: \"\(text)\" is not a JSON pointer (it must start with /)")
        }
        // "~1" before "~0", so that "~01" decodes to "~1" and not "/".
        tokens = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            String($0).replacing("~1", with: "/").replacing("~0", with: "~")
        }
    }

    var description: String { text }

    /// Whether this pointer names a location strictly inside `other`.
    func isInside(_ other: JSONPointer) -> Bool {
        tokens.count > other.tokens.count && Array(tokens.prefix(other.tokens.count)) == other.tokens
    }

    /// The array index a token names: decimal digits without a leading zero.
    static func index(_ token: String) -> Int? {
        guard !token.isEmpty, token.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        if token.count > 1 && token.hasPrefix("0") { return nil }
        return Int(token)
    }
}
