import ArgumentParser
import Foundation
import KubeModel
import Ledger

/// `sluice status`: per application, like `flux get kustomizations`, from the state directory.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each application's source, last seen and last applied revision, last outcome, suspension and next check.",
        discussion: "Reads the state directory's ledger read-only, whether or not an agent is running.")

    @Option(help: "Only this application.")
    var app: String?

    @Option(help: "State directory: mirrors, the ledger, the embedded cluster's data.")
    var stateDir = ".sluice"

    @Option(help: "Output format: text or json.")
    var output: OutputFormat = .text

    func run() async throws {
        let entries = try await LedgerOutput.reading(stateDirectory: stateDir) { ledger -> [JSONValue] in
            var names = Set(try await ledger.apps())
            let records = Dictionary(uniqueKeysWithValues: try await ledger.applicationRecords().map { ($0.app, $0) })
            names.formUnion(records.keys)
            if let app {
                guard names.contains(app) else { throw CLIExit.usage("no application \(app) in \(stateDir); known: \(names.sorted().joined(separator: ", "))") }
                names = [app]
            }
            var entries: [JSONValue] = []
            for name in names.sorted() {
                let last = try await ledger.history(app: name, limit: 1).first
                let applied = try await ledger.lastSucceeded(app: name)
                let record = records[name]
                func time(_ date: Date?) -> JSONValue { date.map { .string(rfc3339($0)) } ?? .null }
                entries.append([
                    "app": .string(name),
                    "repo": .string(record?.repo ?? ""),
                    "spec": .string(record?.spec ?? ""),
                    "path": .string(record?.path ?? ""),
                    "suspended": .bool(record?.suspended ?? false),
                    "reason": .string(record?.reason ?? ""),
                    "suspendedAt": time(record?.suspendedAt),
                    "lastSeenRevision": record?.lastSeenRevision.map(JSONValue.string) ?? .null,
                    "lastCheckAt": time(record?.lastCheckAt),
                    "nextCheckAt": time(record?.nextCheckAt),
                    "lastAppliedRevision": applied.map { .string($0.revision) } ?? .null,
                    "lastAppliedAt": time(applied?.finishedAt),
                    "lastOutcome": last.map { .string($0.outcome.rawValue) } ?? .null,
                    "lastOutcomeAt": time(last?.finishedAt ?? last?.startedAt),
                    "lastRevision": last.map { .string($0.revision) } ?? .null,
                    "message": .string(last?.outcomeMessage ?? ""),
                    "drift": .array((record?.drift ?? []).map(JSONValue.string)),
                    "driftCheckedAt": time(record?.driftCheckedAt),
                ])
            }
            return entries
        }
        switch output {
        case .json:
            LedgerOutput.printJSON(.array(entries))
        case .text:
            guard !entries.isEmpty else {
                print("no applications in \(stateDir)")
                return
            }
            let rows = entries.map { entry -> [String] in
                func text(_ key: String) -> String { entry[key]?.stringValue ?? "-" }
                let applied = entry["lastAppliedRevision"]?.stringValue.map { String($0.prefix(12)) } ?? "-"
                let seen = entry["lastSeenRevision"]?.stringValue.map { String($0.prefix(12)) } ?? "-"
                let suspended = entry["suspended"]?.boolValue == true ? "True" : "False"
                var message = LedgerOutput.summary(text("message"), limit: 60)
                if entry["suspended"]?.boolValue == true, let reason = entry["reason"]?.stringValue, !reason.isEmpty { message = "suspended: \(reason)" }
                let driftCount = entry["drift"]?.arrayValue?.count ?? 0
                let drift = entry["driftCheckedAt"]?.isNull == false ? (driftCount == 0 ? "None" : "\(driftCount) objects") : "-"
                return [text("app"), applied, seen, suspended, text("lastOutcome"), text("lastOutcomeAt"), drift, text("nextCheckAt"), message]
            }
            print(LedgerOutput.table(["NAME", "APPLIED", "SEEN", "SUSPENDED", "LAST", "AT", "DRIFT", "NEXT CHECK", "MESSAGE"], rows))
        }
    }
}
