import ArgumentParser
import Foundation
import KubeModel
import Ledger

/// `sluice status`: per application, like `flux get kustomizations`, from the state directory.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each application's last seen and last applied revision, suspension, whether it stalled, last outcome, health, drift, next check, and its last error with its class.",
        discussion: "Reads the state directory's ledger read-only, whether or not an agent is running.")

    @Option(help: "Only this application.")
    var app: String?

    @Option(help: "State directory: mirrors, the ledger, the embedded cluster's data.")
    var stateDir = ".sluice"

    @OptionGroup var ledgerOptions: LedgerOptions

    @Option(help: "Output format: text or json.")
    var output: OutputFormat = .text

    func run() async throws {
        let entries = try await LedgerOutput.reading(stateDirectory: stateDir, ledger: ledgerOptions) { ledger -> [JSONValue] in
            var names = try await ledger.knownApps()
            if let app {
                guard names.contains(app) else { throw CLIExit.usage("no application \(app) in \(stateDir); known: \(names.joined(separator: ", "))") }
                names = [app]
            }
            return try await ledger.statusJSON(apps: names)
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
                // Times in whole seconds, as the other commands' text output shows them (the JSON keeps milliseconds).
                func time(_ key: String) -> String {
                    let value = text(key)
                    guard value.hasSuffix("Z"), let dot = value.firstIndex(of: ".") else { return value }
                    return value[..<dot] + "Z"
                }
                let applied = entry["lastAppliedRevision"]?.stringValue.map { String($0.prefix(12)) } ?? "-"
                let seen = entry["lastSeenRevision"]?.stringValue.map { String($0.prefix(12)) } ?? "-"
                let suspended = entry["suspended"]?.boolValue == true ? "true" : "false"
                let stalled = entry["stalled"]?.boolValue == true ? "true" : "false"
                // The most pressing thing to say: why it is suspended, its error with the class, a
                // quarantine, else the last attempt's message.
                var message = LedgerOutput.summary(text("message"), limit: 60)
                if message.isEmpty, let phase = entry["phase"]?.stringValue { message = "in phase \(phase)" }
                if let error = entry["error"]?.stringValue, !error.isEmpty {
                    message = "\(entry["errorClass"]?.stringValue ?? "error"): " + LedgerOutput.summary(error, limit: 70)
                } else if let quarantined = entry["quarantined"]?.arrayValue, !quarantined.isEmpty {
                    message = "quarantined: " + quarantined.compactMap { $0.stringValue.map { String($0.prefix(12)) } }.joined(separator: ", ")
                }
                if entry["suspended"]?.boolValue == true, let reason = entry["reason"]?.stringValue, !reason.isEmpty { message = "suspended: \(reason)" }
                let driftCount = entry["drift"]?.arrayValue?.count ?? 0
                let drift = entry["driftCheckedAt"]?.isNull == false ? (driftCount == 0 ? "None" : "\(driftCount) objects") : "-"
                return [
                    text("app"), applied, seen, suspended, stalled, text("lastOutcome"), time("lastOutcomeAt"), text("health"), drift,
                    time("nextCheckAt"), message,
                ]
            }
            print(
                LedgerOutput.table(
                    ["NAME", "APPLIED", "SEEN", "SUSPENDED", "STALLED", "LAST", "AT", "HEALTH", "DRIFT", "NEXT CHECK", "MESSAGE"], rows))
        }
    }
}
