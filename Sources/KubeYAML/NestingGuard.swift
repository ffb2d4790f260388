/// A quick look at raw YAML text for nesting so deep that composing it would exhaust the stack.
///
/// The YAML composer recurses once per level, before any of Sluice's own checks can run, so a file of
/// a few megabytes of `[[[[` or `- - - -` could crash the process. This scan overestimates depth (it
/// ignores quoting) and only refuses text far beyond anything a manifest needs.
package enum NestingGuard {
    /// The reason `bytes` is refused, or `nil` when its nesting is within `maxDepth` levels
    /// (estimated generously: brackets, plus indentation and `- ` runs on one line).
    package static func problem(in bytes: [UInt8], maxDepth: Int) -> String? {
        let limit = max(maxDepth, 1) * 4
        var flowDepth = 0
        var index = 0
        let count = bytes.count
        while index < count {
            // Start of a line: indentation, then a run of sequence or key indicators.
            var indentation = 0
            while index < count, bytes[index] == UInt8(ascii: " ") {
                indentation += 1
                index += 1
            }
            var indicators = 0
            while index + 1 < count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "?"),
                bytes[index + 1] == UInt8(ascii: " ")
            {
                indicators += 1
                index += 2
                while index < count, bytes[index] == UInt8(ascii: " ") { index += 1 }
            }
            while index < count, bytes[index] != UInt8(ascii: "\n") {
                switch bytes[index] {
                case UInt8(ascii: "["), UInt8(ascii: "{"): flowDepth += 1
                case UInt8(ascii: "]"), UInt8(ascii: "}"): flowDepth = max(0, flowDepth - 1)
                default: break
                }
                if flowDepth > limit { return "nesting deeper than \(maxDepth) levels" }
                index += 1
            }
            if indentation + indicators * 2 + flowDepth > limit * 2 {
                return "nesting deeper than \(maxDepth) levels"
            }
            index += 1
        }
        return nil
    }
}
