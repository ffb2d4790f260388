import KubeYAML

/// How canonical YAML writes a string: plain when every YAML reader would read it back as that same
/// string, a `|` block for multi-line text, double-quoted otherwise.
enum YAMLScalarStyle {
    case plain
    case literal
    case doubleQuoted

    /// The style for `text`; `allowBlock` is false for mapping keys.
    static func choose(for text: String, allowBlock: Bool) -> YAMLScalarStyle {
        if text.contains("\n") {
            return allowBlock && fitsLiteralBlock(text) ? .literal : .doubleQuoted
        }
        return isSafePlain(text) ? .plain : .doubleQuoted
    }

    /// True when `text` written plain reads back as the same string under go-yaml's YAML 1.1 rules,
    /// YAML 1.2's core schema and the YAML grammar.
    static func isSafePlain(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return false }
        // Anything a reader could resolve to a boolean, null, number or timestamp.
        guard case .string = YAMLScalarResolver.resolve(plain: text) else { return false }
        if text == "<<" || text == "=" || text.hasPrefix("---") || text.hasPrefix("...") { return false }
        if "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) || first == " " || last == " " || last == ":" { return false }
        if looksNumeric(text) { return false }
        var previous: Unicode.Scalar = " "
        for scalar in text.unicodeScalars {
            if !isPrintable(scalar) || scalar == "\t" { return false }
            if scalar == "#" && previous == " " { return false }
            if previous == ":" && scalar == " " { return false }
            previous = scalar
        }
        return true
    }

    /// Texts that start like a number and use only characters of numbers, sexagesimals, dates and
    /// times (`0o17`, `1_000`, `12:30`, `2024-01-31`, `2001-12-14 21:59:43.10 -5`): some YAML reader
    /// reads each of them as something other than a string.
    private static func looksNumeric(_ text: String) -> Bool {
        var scalars = text.unicodeScalars[...]
        if let sign = scalars.first, sign == "+" || sign == "-" || sign == "." { scalars = scalars.dropFirst() }
        guard let first = scalars.first, ("0"..."9").contains(first) || first == "." else { return false }
        return text.unicodeScalars.allSatisfy { numericCharacters.contains($0) }
    }

    private static let numericCharacters = Set("0123456789abcdefABCDEFxXoO_.:+-tTzZ ".unicodeScalars)

    /// A `|` block keeps the text exactly when no line break is of another kind, every character is
    /// printable, and the first line starts with a character that fixes the indentation.
    private static func fitsLiteralBlock(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first != " ", first != "\t", first != "\n" else { return false }
        for scalar in text.unicodeScalars where scalar != "\n" && scalar != "\t" {
            if !isPrintable(scalar) || scalar == "\r" { return false }
        }
        // A line of only spaces is ambiguous with the block's indentation.
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { return false }
        }
        return true
    }

    /// YAML's printable set, without the characters libyaml treats as line breaks, and without the
    /// byte order mark.
    static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20...0x7E: return true
        case 0xA0...0xD7FF: return scalar.value != 0x2028 && scalar.value != 0x2029
        case 0xE000...0xFFFD: return scalar.value != 0xFEFF
        case 0x10000...0x10FFFF: return true
        default: return false
        }
    }

    /// `text` in double quotes, with escapes for quotes, backslashes and anything not printable.
    static func doubleQuoted(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\t": output += "\\t"
            case "\r": output += "\\r"
            case "\0": output += "\\0"
            default:
                if isPrintable(scalar) {
                    output.unicodeScalars.append(scalar)
                } else {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    if scalar.value <= 0xFF {
                        output += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                    } else if scalar.value <= 0xFFFF {
                        output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        output += "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
                    }
                }
            }
        }
        return output + "\""
    }
}
