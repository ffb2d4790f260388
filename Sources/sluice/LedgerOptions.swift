import ArgumentParser
import Foundation
import Ledger

/// `--ledger` and its password, for every command that reads or writes the ledger.
struct LedgerOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The ledger: sqlite:PATH, or postgres://USER@HOST[:PORT]/DATABASE[?sslmode=MODE] shared by agents (default: ledger.sqlite in the state directory).",
            valueName: "url"))
    var ledger: String?

    @Option(help: "File holding the PostgreSQL ledger's password (else $SLUICE_LEDGER_PASSWORD or $PGPASSWORD).")
    var ledgerPasswordFile: String?

    /// The ledger to open, or a usage error naming what is wrong.
    func location(stateDirectory: String) throws -> LedgerLocation {
        var password: String?
        if let file = ledgerPasswordFile {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CLIExit.usage("cannot read --ledger-password-file \(file)")
            }
            password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        } else {
            let environment = ProcessInfo.processInfo.environment
            password = environment["SLUICE_LEDGER_PASSWORD"] ?? environment["PGPASSWORD"]
        }
        do {
            return try LedgerLocation(ledger, stateDirectory: stateDirectory, password: password)
        } catch let error as LedgerError {
            throw CLIExit.usage("--ledger: \(error.message)")
        }
    }
}
