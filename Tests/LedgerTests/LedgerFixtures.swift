import KubeModel
import Foundation
import Ledger
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The ledger's backends: every behaviour test runs on both.
enum LedgerBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// A ledger with a manual clock: SQLite in a fresh temporary state directory, or a fresh database
/// on the PostgreSQL server the tests share.
struct LedgerFixture {
    let backend: LedgerBackend
    let directory: TemporaryDirectory
    let clock: ManualWallClock
    let location: LedgerLocation
    let ledger: Ledger

    init(_ backend: LedgerBackend = .sqlite, logLimit: Int = Ledger.defaultLogLimit) async throws {
        self.backend = backend
        directory = try TemporaryDirectory(label: "ledger")
        clock = ManualWallClock()
        switch backend {
        case .sqlite: location = .sqlite(path: directory.path + "/state/" + Ledger.fileName)
        case .postgres: location = .postgres(try await SharedPostgres.shared.newDatabase())
        }
        ledger = try await Ledger.open(location, stateDirectory: directory.path + "/state", now: clock.now, logLimit: logLimit)
    }

    var ledgerPath: String { directory.path + "/state/" + Ledger.fileName }

    /// Opens the same ledger again, as a restarted agent would.
    func reopen() async throws -> Ledger {
        try await Ledger.open(location, stateDirectory: directory.path + "/state", now: clock.now)
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

/// One PostgreSQL server for the test process (started on first use, stopped when the process
/// exits), with a new database per fixture, so the ledger tests run against a real server
/// without starting one per test.
actor SharedPostgres {
    static let shared = SharedPostgres()
    /// The server, for the exit handler.
    static let running = Mutex<PostgresServer?>(nil)

    private var starting: Task<Void, any Error>?
    private var databases = 0

    /// A new, empty database's settings.
    func newDatabase() async throws -> PostgresLedgerSettings {
        // One start, however many fixtures ask at once (the actor is re-entered while it starts).
        let starting = self.starting ?? Task {
            let server = try await PostgresServer.start()
            Self.running.withLock { $0 = server }
            // At exit the server stops and, its last reference gone, its directories are removed.
            atexit {
                let server = SharedPostgres.running.withLock { running in
                    defer { running = nil }
                    return running
                }
                server?.stop()
            }
        }
        self.starting = starting
        try await starting.value
        guard let server = Self.running.withLock({ $0 }) else {
            throw TestSupportError(.notFound, "the shared PostgreSQL server is gone")
        }
        databases += 1
        let name = "ledger_\(databases)"
        // createdb blocks: not on the cooperative pool, which the whole suite shares.
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread { continuation.resume(with: Result { try server.createDatabase(name) }) }
        }
        var settings = try PostgresLedgerSettings(url: server.url(database: name), password: server.password)
        // The whole suite starts at once on two cores: a generous deadline for each transaction.
        settings.deadline = .seconds(120)
        return settings
    }
}
