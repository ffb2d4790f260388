import KubeModel

/// What an unquoted, untagged YAML scalar means, by the rules of the YAML library `kubectl` and
/// Argo CD use (go-yaml v2, YAML 1.1 flavoured): `yes`/`on`/`y` are booleans, `0x1F` and `017` are
/// integers, `1e3` is a number, `~` is null, and timestamps stay strings.
///
/// Matching those rules means a manifest reads the same under Sluice as under `kubectl apply`.
package enum YAMLScalarResolver {
    /// The value of a plain scalar.
    package static func resolve(plain text: String) -> JSONValue {
        if let special = specialWords[text] { return special }
        guard let first = text.utf8.first else { return .null }
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"):
            return number(text) ?? .string(text)
        case UInt8(ascii: "."):
            // go-yaml hands these to ParseFloat directly: `.5`, `.5e3`.
            if isDotFloat(text), let value = Double(text) { return .double(value) }
            return .string(text)
        default:
            return .string(text)
        }
    }

    /// An integer or float in the forms go-yaml accepts (underscores ignored); `nil` otherwise.
    package static func number(_ text: String) -> JSONValue? {
        let plain = text.replacingAll("_")
        if let integer = goInteger(plain) { return integer }
        if isDecimalFloat(plain), let value = Double(plain) { return .double(value) }
        return nil
    }

    /// Go's `strconv.ParseInt(text, 0, 64)`, then `ParseUint`: a sign, then `0x`, `0o`, `0b` or a
    /// leading `0` (octal) or decimal digits.
    private static func goInteger(_ text: String) -> JSONValue? {
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        var radix = 10
        let lower = digits.lowercased()
        if lower.hasPrefix("0x") {
            radix = 16
            digits = digits.dropFirst(2)
        } else if lower.hasPrefix("0o") {
            radix = 8
            digits = digits.dropFirst(2)
        } else if lower.hasPrefix("0b") {
            radix = 2
            digits = digits.dropFirst(2)
        } else if digits.count > 1 && digits.hasPrefix("0") {
            radix = 8
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }),
            let magnitude = UInt64(digits, radix: radix)
        else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return .int(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
        }
        if magnitude <= UInt64(Int64.max) { return .int(Int64(magnitude)) }
        // Beyond Int64 go-yaml gives a uint64; JSON keeps it as a number.
        return .double(Double(magnitude))
    }

    /// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, go-yaml's test before ParseFloat.
    private static func isDecimalFloat(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let integerDigits = bytes.prefix(while: isDigit).count
        bytes = bytes.dropFirst(integerDigits)
        var fractionDigits = 0
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            fractionDigits = bytes.prefix(while: isDigit).count
            bytes = bytes.dropFirst(fractionDigits)
            if integerDigits == 0 && fractionDigits == 0 { return false }
        } else if integerDigits == 0 {
            return false
        }
        return exponentOnly(bytes)
    }

    /// `\.[0-9]+([eE][-+]?[0-9]+)?`.
    private static func isDotFloat(_ text: String) -> Bool {
        var bytes = Substring(text).utf8.dropFirst()
        let fractionDigits = bytes.prefix(while: isDigit).count
        guard fractionDigits > 0 else { return false }
        bytes = bytes.dropFirst(fractionDigits)
        return exponentOnly(bytes)
    }

    /// True for nothing, or `[eE][-+]?[0-9]+`.
    private static func exponentOnly(_ bytes: Substring.UTF8View.SubSequence) -> Bool {
        var bytes = bytes
        guard let marker = bytes.first else { return true }
        guard marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") else { return false }
        bytes = bytes.dropFirst()
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        return !bytes.isEmpty && bytes.allSatisfy(isDigit)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// The words with a fixed meaning.
    package static let specialWords: [String: JSONValue] = {
        var words: [String: JSONValue] = [:]
        for word in ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"] { words[word] = .bool(true) }
        for word in ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"] { words[word] = .bool(false) }
        for word in ["", "~", "null", "Null", "NULL"] { words[word] = .null }
        for word in [".nan", ".NaN", ".NAN"] { words[word] = .double(.nan) }
        for word in [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"] { words[word] = .double(.infinity) }
        for word in ["-.inf", "-.Inf", "-.INF"] { words[word] = .double(-.infinity) }
        return words
    }()

    /// The Boolean of a `!!bool` scalar, by the same words.
    package static func bool(_ text: String) -> Bool? {
        specialWords[text]?.boolValue
    }
}

extension String {
    /// The string without any occurrence of `character`.
    fileprivate func replacingAll(_ character: Character) -> String {
        contains(character) ? String(filter { $0 != character }) : self
    }
}
