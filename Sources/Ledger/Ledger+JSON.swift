import Foundation
import KubeModel

// The JSON of `sluice history` and `sluice show` (DESIGN.md, "Command-line contract"). Fields may
// be added, never renamed or removed.

extension Attempt {
    /// One entry of `sluice history --output json`: `app`, `revision`, `ref`, `author`, `message`,
    /// `trigger`, `startedAt`, `finishedAt` (RFC 3339; `null` while running), `outcome`,
    /// `phaseReached` (`null` before the first phase), plus `attempt` (its number for this
    /// revision), `outcomeMessage`, `signer` (who signed the revision, when its signature was
    /// verified; empty otherwise) and `rendering` (how a Helm chart was rendered, an object; `null`
    /// when nothing was rendered).
    public var historyJSON: JSONValue {
        [
            "app": .string(app),
            "revision": .string(revision),
            "attempt": .int(Int64(number)),
            "ref": .string(ref),
            "author": .string(author),
            "message": .string(message),
            "trigger": .string(trigger.rawValue),
            "startedAt": .string(RFC3339.string(from: startedAt)),
            "finishedAt": finishedAt.map { .string(RFC3339.string(from: $0)) } ?? .null,
            "outcome": .string(outcome.rawValue),
            "phaseReached": phaseReached.map(JSONValue.string) ?? .null,
            "outcomeMessage": .string(outcomeMessage),
            "signer": .string(signer),
            "rendering": rendering.isEmpty ? .null : ((try? JSONValue.parse(Array(rendering.utf8))) ?? .string(rendering)),
        ]
    }

    /// `sluice history --output json`: an array of ``historyJSON`` entries in the given order.
    public static func historyJSON(_ attempts: [Attempt]) -> JSONValue {
        .array(attempts.map(\.historyJSON))
    }
}

extension TaskRecord {
    /// One element of `tasks` in `sluice show --output json`: `phase`, `wave`, `kind`, `group`,
    /// `namespace`, `name`, `hook`, `action`, `status`, `message`, `startedAt`, `finishedAt`
    /// (`null` while running), `log` (`null` when none was captured).
    public var json: JSONValue {
        [
            "phase": .string(phase),
            "wave": .int(Int64(wave)),
            "kind": .string(object.kind),
            "group": .string(object.group),
            "namespace": .string(object.namespace),
            "name": .string(object.name),
            "hook": .bool(hook),
            "action": .string(action.rawValue),
            "status": .string(status.rawValue),
            "message": .string(message),
            "startedAt": .string(RFC3339.string(from: startedAt)),
            "finishedAt": finishedAt.map { .string(RFC3339.string(from: $0)) } ?? .null,
            "log": log.map(JSONValue.string) ?? .null,
        ]
    }
}

extension ChangeSet {
    /// `changes` in `sluice show --output json`: `created`, `configured`, `unchanged`, `pruned`,
    /// each a list of `group/kind/namespace/name`.
    public var json: JSONValue {
        .object(Dictionary(uniqueKeysWithValues: labelled.map { name, keys in
            (name, JSONValue.array(keys.map { .string($0.description) }))
        }))
    }
}

extension AttemptDetail {
    /// `sluice show --output json`: the attempt's ``Attempt/historyJSON`` fields plus `tasks` and `changes`.
    public var json: JSONValue {
        var object = attempt.historyJSON
        object["tasks"] = .array(tasks.map(\.json))
        object["changes"] = changes.json
        return object
    }
}

/// RFC 3339 timestamps in UTC: whole seconds as `2025-01-02T03:04:05Z`, otherwise with milliseconds.
/// What the ledger's JSON and the command line print.
public enum RFC3339 {
    public static func string(from date: Date) -> String {
        // Work from whole milliseconds (what the ledger stores) so floating-point error never shows.
        let milliseconds = Ledger.milliseconds(date)
        let fraction = ((milliseconds % 1000) + 1000) % 1000
        let seconds = Date(timeIntervalSince1970: Double((milliseconds - fraction) / 1000))
        let text = seconds.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
        guard fraction != 0, text.hasSuffix("Z") else { return text }
        let digits = String(fraction)
        return text.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }
}
