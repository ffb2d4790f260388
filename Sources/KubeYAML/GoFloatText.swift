/// Go's `strconv.FormatFloat(x, 'g', -1, 32)`, which `sigs.k8s.io/yaml` uses to turn a float
/// mapping key into a JSON member name: the shortest digits that identify the float32, in `%e`
/// form when the exponent is below -4 or at least 6 (`1e+06`, `1.5`, `0.0001`).
enum GoFloatText {
    static func shortest32(_ value: Double) -> String {
        if value.isNaN { return ".nan" }
        if value.isInfinite { return value < 0 ? "-.inf" : ".inf" }
        let single = Float(value)
        if single.isInfinite { return single < 0 ? "-.inf" : ".inf" }
        let negative = single.sign == .minus
        // Swift prints the shortest digits that read back as the same Float, as Go does.
        let text = String(describing: single.magnitude)
        var mantissa = Substring(text)
        var exponent = 0
        if let marker = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<marker]
            exponent = Int(text[text.index(after: marker)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = parts.first.map(String.init) ?? ""
        let fractionPart = parts.count > 1 ? String(parts[1]) : ""
        var digits = Array(integerPart + fractionPart)
        // The value is 0.DIGITS × 10^point.
        var point = integerPart.count + exponent
        while let first = digits.first, first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while let last = digits.last, last == "0" { digits.removeLast() }
        let sign = negative ? "-" : ""
        if digits.isEmpty { return sign + "0" }
        let decimalExponent = point - 1
        if decimalExponent < -4 || decimalExponent >= 6 {
            var output = sign + String(digits[0])
            if digits.count > 1 { output += "." + String(digits[1...]) }
            let magnitude = abs(decimalExponent)
            output += (decimalExponent < 0 ? "e-" : "e+") + (magnitude < 10 ? "0" : "") + String(magnitude)
            return output
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + String(digits) }
        if point >= digits.count { return sign + String(digits) + String(repeating: "0", count: point - digits.count) }
        return sign + String(digits[..<point]) + "." + String(digits[point...])
    }
}
