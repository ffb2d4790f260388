import Foundation
import KubeModel
import Ledger

/// What `sluice history` and `sluice show` share: opening the ledger read-only and printing it.
enum LedgerOutput {
    /// Runs `body` with the ledger of `stateDirectory` opened read-only, then closes it.
    ///
    /// Any ``LedgerError`` (no ledger yet, unknown or ambiguous revision, unreadable file) ends the
    /// command with exit 2 and the ledger's message, which names the file and what to do.
    static func reading<T>(stateDirectory: String, ledger options: LedgerOptions, _ body: (Ledger) async throws -> T) async throws -> T {
        let location = try options.location(stateDirectory: stateDirectory)
        do {
            let ledger = try await Ledger.openForReading(location, stateDirectory: stateDirectory)
            let result: T
            do {
                result = try await body(ledger)
            } catch {
                try? await ledger.close()
                throw error
            }
            try await ledger.close()
            return result
        } catch let error as LedgerError {
            throw CLIExit.usage(error.message)
        }
    }

    /// Writes one JSON document (pretty, keys sorted) on stdout.
    static func printJSON(_ value: JSONValue) {
        FileHandle.standardOutput.write(Data((value.serialized(pretty: true) + "\n").utf8))
    }

    /// Columns separated by two spaces, each as wide as its widest cell; the last is not padded.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all {
            for (column, cell) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], cell.count)
            }
        }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            .joined(separator: "  ")
            .trimmingTrailingSpaces()
        }
        .joined(separator: "\n")
    }

    /// The first non-empty line of `text`, cut to `limit` characters with an ellipsis.
    static func summary(_ text: String, limit: Int = 60) -> String {
        let lines = text.split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        // A headline ending in ':' lists its problems on the lines below: show it with the first.
        var trimmed = lines.first ?? ""
        if trimmed.hasSuffix(":"), lines.count > 1 { trimmed += " " + lines[1] }
        // Tabs would break the table's columns.
        let flat = trimmed.replacingOccurrences(of: "\t", with: " ")
        guard flat.count > limit else { return flat }
        return String(flat.prefix(max(0, limit - 1))) + "…"
    }

    /// A timestamp as the text output shows it: RFC 3339 in UTC, whole seconds.
    static func time(_ date: Date?) -> String {
        date.map { RFC3339.string(from: Date(timeIntervalSince1970: $0.timeIntervalSince1970.rounded(.down))) } ?? "-"
    }

    /// `namespace/name`, or `name` for a cluster-scoped object.
    static func objectName(_ key: ObjectIdentity) -> String {
        key.namespace.isEmpty ? key.name : "\(key.namespace)/\(key.name)"
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = Substring(self)
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
