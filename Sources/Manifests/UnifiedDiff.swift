/// Unified diffs of two texts (`---`/`+++` headers, `@@` hunks with context lines), as `diff -u`
/// and `git diff` print them.
public enum UnifiedDiff {
    /// The unified diff turning `old` into `new`, with `context` unchanged lines around each change;
    /// empty when the texts are equal. Hunks closer than twice the context are joined.
    public static func make(old: String, new: String, oldLabel: String, newLabel: String, context: Int = 3) -> String {
        guard old != new else { return "" }
        let oldLines = lines(of: old)
        let newLines = lines(of: new)
        let edits = LineDiff.edits(from: oldLines.lines, to: newLines.lines)
        var output = "--- \(oldLabel)\n+++ \(newLabel)\n"
        let changes = edits.indices.filter { edits[$0].operation != .equal }
        var start = 0
        while start < changes.count {
            // Join changes whose gap of equal lines is at most twice the context.
            var end = start
            while end + 1 < changes.count, changes[end + 1] - changes[end] - 1 <= 2 * context { end += 1 }
            let first = max(changes[start] - context, 0)
            let last = min(changes[end] + context, edits.count - 1)
            output += hunk(edits[first...last], oldLines: oldLines, newLines: newLines)
            start = end + 1
        }
        return output
    }

    private static func hunk(
        _ edits: ArraySlice<LineDiff.Edit>, oldLines: (lines: [Substring], finalNewline: Bool),
        newLines: (lines: [Substring], finalNewline: Bool)
    ) -> String {
        guard let firstEdit = edits.first else { return "" }
        let oldCount = edits.filter { $0.operation != .insert }.count
        let newCount = edits.filter { $0.operation != .delete }.count
        var text = "@@ -\(range(start: firstEdit.old, count: oldCount)) +\(range(start: firstEdit.new, count: newCount)) @@\n"
        for edit in edits {
            switch edit.operation {
            case .equal: text += line(" ", edit.old, oldLines)
            case .delete: text += line("-", edit.old, oldLines)
            case .insert: text += line("+", edit.new, newLines)
            }
        }
        return text
    }

    private static func line(_ marker: String, _ position: Int, _ text: (lines: [Substring], finalNewline: Bool)) -> String {
        var output = marker + text.lines[position] + "\n"
        if position == text.lines.count - 1, !text.finalNewline { output += "\\ No newline at end of file\n" }
        return output
    }

    /// `start,count` with 1-based start, or the line before for an empty range; `,1` left out.
    private static func range(start: Int, count: Int) -> String {
        switch count {
        case 0: return "\(start),0"
        case 1: return "\(start + 1)"
        default: return "\(start + 1),\(count)"
        }
    }

    private static func lines(of text: String) -> (lines: [Substring], finalNewline: Bool) {
        guard !text.isEmpty else { return ([], true) }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let finalNewline = text.hasSuffix("\n")
        if finalNewline { lines.removeLast() }
        return (lines, finalNewline)
    }
}
