import KubeModel

extension JSONValue {
    /// This value as canonical block YAML: keys sorted, two-space indentation, sequences at their
    /// key's indentation (as `kubectl` writes them), strings quoted only when a YAML reader would
    /// otherwise read another type or misparse them (`"true"`, `"1.0"`, `"0x1F"`, `"~"`, `"a: b"`),
    /// multi-line strings as `|` blocks. Equal values give equal text; reading it back gives an equal
    /// value. Ends with a newline; has no `---` marker.
    public var canonicalYAML: String {
        var output = ""
        output.reserveCapacity(512)
        switch self {
        case .object(let members) where !members.isEmpty:
            YAMLWriter.writeMapping(members, indent: 0, inline: false, into: &output)
        case .array(let elements) where !elements.isEmpty:
            YAMLWriter.writeSequence(elements, indent: 0, inline: false, into: &output)
        default:
            YAMLWriter.writeValueAfterIndicator(self, indent: 2, into: &output)
            // The scalar forms above start with a space meant to follow `key:`.
            output.removeFirst()
        }
        return output
    }
}

/// The block-style writer behind ``KubeModel/JSONValue/canonicalYAML``.
enum YAMLWriter {
    /// Keys longer than this are written as explicit `? key` entries.
    static let longKeyLength = 512

    /// Writes members sorted by key; `inline` when the first one continues a `- ` already written.
    static func writeMapping(_ members: [String: JSONValue], indent: Int, inline: Bool, into output: inout String) {
        let padding = String(repeating: " ", count: indent)
        for (position, key) in members.keys.sorted().enumerated() {
            if position > 0 || !inline { output += padding }
            if key.unicodeScalars.count > longKeyLength {
                // YAML readers refuse implicit keys over 1024 characters: write an explicit key.
                output += "? " + scalarText(key) + "\n" + padding
            } else {
                output += scalarText(key)
            }
            output += ":"
            guard let value = members[key] else { continue }
            switch value {
            case .object(let nested) where !nested.isEmpty:
                output += "\n"
                writeMapping(nested, indent: indent + 2, inline: false, into: &output)
            case .array(let elements) where !elements.isEmpty:
                output += "\n"
                writeSequence(elements, indent: indent, inline: false, into: &output)
            default:
                writeValueAfterIndicator(value, indent: indent + 2, into: &output)
            }
        }
    }

    /// Writes elements as `- ` entries at `indent`; `inline` when the first continues a `- ` already written.
    static func writeSequence(_ elements: [JSONValue], indent: Int, inline: Bool, into output: inout String) {
        let padding = String(repeating: " ", count: indent)
        for (position, element) in elements.enumerated() {
            if position > 0 || !inline { output += padding }
            output += "-"
            switch element {
            case .object(let nested) where !nested.isEmpty:
                output += " "
                writeMapping(nested, indent: indent + 2, inline: true, into: &output)
            case .array(let nested) where !nested.isEmpty:
                output += " "
                writeSequence(nested, indent: indent + 2, inline: true, into: &output)
            default:
                writeValueAfterIndicator(element, indent: indent + 2, into: &output)
            }
        }
    }

    /// Writes a scalar or empty collection after `key:` or `-`: a space, the value, a newline. A
    /// block string's lines go at `indent`.
    static func writeValueAfterIndicator(_ value: JSONValue, indent: Int, into output: inout String) {
        switch value {
        case .null: output += " null\n"
        case .bool(let flag): output += flag ? " true\n" : " false\n"
        case .int(let number): output += " \(number)\n"
        case .double(let number): output += " " + numberText(number) + "\n"
        case .object: output += " {}\n"
        case .array: output += " []\n"
        case .string(let text):
            guard YAMLScalarStyle.choose(for: text, allowBlock: true) == .literal else {
                output += " " + scalarText(text) + "\n"
                return
            }
            writeLiteral(text, indent: indent, into: &output)
        }
    }

    /// A `|` block with the chomping indicator that keeps the text's trailing newlines exactly.
    private static func writeLiteral(_ text: String, indent: Int, into output: inout String) {
        var body = Substring(text)
        var trailingNewlines = 0
        while body.last == "\n" {
            body = body.dropLast()
            trailingNewlines += 1
        }
        switch trailingNewlines {
        case 0: output += " |-\n"
        case 1: output += " |\n"
        default: output += " |+\n"
        }
        let padding = String(repeating: " ", count: indent)
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.isEmpty { output += padding + line }
            output += "\n"
        }
        if trailingNewlines > 1 { output += String(repeating: "\n", count: trailingNewlines - 1) }
    }

    /// A string in the style it needs, never a block.
    static func scalarText(_ text: String) -> String {
        YAMLScalarStyle.isSafePlain(text) ? text : YAMLScalarStyle.doubleQuoted(text)
    }

    /// A floating-point number that reads back as one: always with a fraction or an exponent.
    static func numberText(_ number: Double) -> String {
        if number.isNaN { return ".nan" }
        if number.isInfinite { return number > 0 ? ".inf" : "-.inf" }
        if number.rounded() == number, abs(number) < 1e15 { return String(Int64(number)) + ".0" }
        return String(number)
    }
}
