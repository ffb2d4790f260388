extension JSONValue {
    /// True when every field this value sets is present in `other` with the same value: members
    /// of objects are looked up by name (`other` may have more), arrays must have as many elements
    /// and each be contained in the one at its place, scalars must be equal (an integral double
    /// equals the integer). `null` is contained only in `null`.
    ///
    /// A server-side apply of an object contained in the live one, applied last by the same manager
    /// with the same fields, changes nothing: Sluice uses this to leave such objects alone.
    public func isContained(in other: JSONValue) -> Bool {
        switch (self, other) {
        case (.object(let mine), .object(let theirs)):
            for (key, value) in mine {
                guard let found = theirs[key], value.isContained(in: found) else { return false }
            }
            return true
        case (.array(let mine), .array(let theirs)):
            guard mine.count == theirs.count else { return false }
            for (value, found) in zip(mine, theirs) where !value.isContained(in: found) { return false }
            return true
        case (.int, .double), (.double, .int):
            return doubleValue == other.doubleValue
        default:
            return self == other
        }
    }
}
