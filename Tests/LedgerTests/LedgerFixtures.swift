import KubeModel
import Foundation
import Ledger
import Synchronization
import TestSupport

/// A clock the tests move by hand, so timestamps in the ledger are exact.
final class ManualClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        current = Mutex(start)
    }

    var now: @Sendable () -> Date {
        { self.current.withLock { $0 } }
    }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// A ledger in a fresh temporary state directory, with a manual clock.
struct LedgerFixture {
    let directory: TemporaryDirectory
    let clock: ManualClock
    let ledger: Ledger

    init(logLimit: Int = Ledger.defaultLogLimit) throws {
        directory = try TemporaryDirectory(label: "ledger")
        clock = ManualClock()
        ledger = try Ledger.open(stateDirectory: directory.path + "/state", now: clock.now, logLimit: logLimit)
    }

    var ledgerPath: String { directory.path + "/state/" + Ledger.fileName }

    /// Opens the same file again, as a restarted agent would.
    func reopen() throws -> Ledger {
        try Ledger.open(stateDirectory: directory.path + "/state", now: clock.now)
    }

    /// Begins an attempt with made-up commit details.
    func begin(_ revision: String, app: String = "shop", trigger: Trigger = .poll) async throws -> AttemptID {
        try await ledger.beginAttempt(
            app: app, revision: revision, ref: "refs/heads/main", author: "Ada <ada@example.com>",
            message: "Deploy \(revision.prefix(7))", trigger: trigger)
    }
}

/// A 40-hex revision made from a short hex prefix, padded with a digit.
func revision(_ prefix: String, pad: Character = "0") -> String {
    prefix + String(repeating: pad, count: 40 - prefix.count)
}

func deployment(_ name: String, namespace: String = "shop") -> ObjectIdentity {
    ObjectIdentity(group: "apps", kind: "Deployment", namespace: namespace, name: name)
}

func configMap(_ name: String, namespace: String = "shop") -> ObjectIdentity {
    ObjectIdentity(group: "", kind: "ConfigMap", namespace: namespace, name: name)
}

let migrateJob = ObjectIdentity(group: "batch", kind: "Job", namespace: "shop", name: "migrate")
