/// Durations as annotations write them: Go's `time.ParseDuration` form (`90s`, `5m`, `1h30m`,
/// `1.5h`, `500ms`), or a bare number of seconds.
public enum DurationText {
    /// The duration a text names; `nil` when it is not one.
    public static func parse(_ text: String) -> Duration? {
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        if let seconds = Int64(rest) {
            return .seconds(negative ? -seconds : seconds)
        }
        guard !rest.isEmpty else { return nil }
        var total = Duration.zero
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let unit = unitSeconds[String(unitText)] else { return nil }
            rest = rest.dropFirst(unitText.count)
            let seconds = value * unit
            guard seconds.isFinite, seconds < 9.0e9 else { return nil }
            total += .nanoseconds(Int64((seconds * 1e9).rounded()))
        }
        return negative ? .zero - total : total
    }

    private static let unitSeconds: [String: Double] = [
        "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600,
    ]
}
