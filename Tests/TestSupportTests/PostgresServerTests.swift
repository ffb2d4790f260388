import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite("PostgresServer")
struct PostgresServerTests {
    @Test("a table written over TCP survives a stop and a restart on the same port and data directory")
    func tableSurvivesRestart() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let server = try await PostgresServer.start()
        print("TIMING postgres start (initdb included)", clock.now - started)
        #expect(server.host == "127.0.0.1")
        #expect(server.user == "sluice")
        #expect(server.url() == "postgres://sluice@127.0.0.1:\(server.port)/sluice?sslmode=disable")
        #expect(server.url(database: "other") == "postgres://sluice@127.0.0.1:\(server.port)/other?sslmode=disable")
        #expect(!server.url().contains(server.password))
        #expect(server.password.count >= 32)
        #expect(try server.psql("SELECT current_user, current_database()") == "sluice|sluice")
        #expect(try server.psql("SHOW data_directory") == server.dataDirectory.path)
        #expect(try server.psql("SHOW listen_addresses") == "127.0.0.1")
        #expect(try server.psql("SHOW fsync") == "off")
        #expect(try server.psql("SHOW synchronous_commit") == "on", "a commit must survive kill()")

        try server.psql("""
            CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);
            INSERT INTO notes VALUES (1, 'first'), (2, 'second');
            """)
        #expect(try server.psql("SELECT id, body FROM notes ORDER BY id") == "1|first\n2|second")

        let port = server.port
        let pid = server.pid
        let helpers = childProcesses(of: pid)
        #expect(!helpers.isEmpty, "the postmaster has its checkpointer, WAL writer, ...")
        let stopping = clock.now
        server.stop()
        print("TIMING postgres stop", clock.now - stopping)
        #expect(!server.isRunning)
        #expect(!Loopback.isAccepting(port: port))
        #expect(!processExists(pid))
        #expect(helpers.allSatisfy { !processExists($0) })
        #expect(throws: TestSupportError.self) { try server.psql("SELECT 1") }
        #expect(FileManager.default.fileExists(atPath: server.dataDirectory.path), "stop() keeps the data")

        let restarting = clock.now
        let restarted = try await PostgresServer.start(port: port, dataDirectory: server.dataDirectory)
        print("TIMING postgres restart", clock.now - restarting)
        #expect(restarted.port == port)
        #expect(restarted.password == server.password)
        #expect(restarted.pid != pid)
        #expect(try restarted.psql("SELECT body FROM notes WHERE id = 2") == "second")
        #expect(try restarted.psql("SELECT count(*) FROM notes") == "2")

        restarted.stop()
        #expect(!restarted.isRunning)
        #expect(!Loopback.isAccepting(port: port))
    }

    @Test("a wrong password is refused over TCP, the right one accepted")
    func wrongPasswordIsRefused() async throws {
        let server = try await PostgresServer.start()
        let error = #expect(throws: TestSupportError.self) {
            try server.psql("SELECT 1", password: "not-" + server.password)
        }
        #expect(error?.message.contains("password authentication failed for user \"sluice\"") == true)
        #expect(try server.psql("SELECT 1", password: server.password) == "1")
        #expect(server.log().contains("password authentication failed"))
    }

    @Test("createDatabase makes a database that psql connects to; a failing statement throws")
    func createDatabase() async throws {
        let server = try await PostgresServer.start()
        try server.createDatabase("ledger-test")
        #expect(try server.psql("SELECT current_database()", database: "ledger-test") == "ledger-test")
        #expect(server.url(database: "ledger-test").hasSuffix("/ledger-test?sslmode=disable"))
        let names = try server.psql("SELECT datname FROM pg_database ORDER BY datname")
        #expect(names.split(separator: "\n").contains("ledger-test"))
        #expect(names.split(separator: "\n").contains("sluice"))
        let error = #expect(throws: TestSupportError.self) {
            try server.psql("SELECT 1; SELECT * FROM missing_table; SELECT 2")
        }
        #expect(error?.message.contains("missing_table") == true)
    }

    @Test("kill() leaves no server process behind; a restart recovers the committed rows")
    func killAndRecover() async throws {
        let server = try await PostgresServer.start()
        try server.psql("CREATE TABLE events (id integer); INSERT INTO events SELECT generate_series(1, 100)")
        let pid = server.pid
        let helpers = childProcesses(of: pid)
        #expect(!helpers.isEmpty)

        server.kill()
        #expect(!server.isRunning)
        #expect(!processExists(pid))
        #expect(helpers.allSatisfy { !processExists($0) })
        #expect(!Loopback.isAccepting(port: server.port))
        server.stop()  // a no-op now

        let recovered = try await server.restart()
        #expect(recovered.port == server.port)
        #expect(try recovered.psql("SELECT count(*) FROM events") == "100")
        #expect(recovered.log().contains("not properly shut down"))
    }

    @Test("the data directory outlives the first server while a restarted one uses it, and is removed with the last")
    func dataDirectoryIsRemovedWithTheLastServer() async throws {
        var first: PostgresServer? = try await PostgresServer.start()
        let data = try #require(first?.dataDirectory)
        let port = try #require(first?.port)
        first?.stop()
        var second: PostgresServer? = try await PostgresServer.start(port: port, dataDirectory: data)
        let secondPID = try #require(second?.pid)
        first = nil
        #expect(first == nil)
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("PG_VERSION").path))
        #expect(try second?.psql("SELECT 42") == "42")

        second = nil
        #expect(second == nil)
        #expect(!processExists(secondPID))
        #expect(!Loopback.isAccepting(port: port))
        #expect(!FileManager.default.fileExists(atPath: data.path))
    }

    @Test("a data directory given by the caller is initialised there and kept")
    func callerDataDirectory() async throws {
        let parent = try TemporaryDirectory(label: "postgres-caller")
        let data = parent.appending("nested/pgdata")
        do {
            let server = try await PostgresServer.start(dataDirectory: data)
            #expect(server.dataDirectory.path == data.resolvingSymlinksInPath().path)
            #expect(try server.psql("SELECT current_database()") == "sluice")
            if getuid() == 0 {
                #expect(try processOwner(server.pid) == "postgres", "PostgreSQL refuses to run as root")
            }
            server.stop()
        }
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("PG_VERSION").path))
    }
}

/// Whether `pid` exists and is not a zombie.
private func processExists(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let state = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
    return !(state?.contains(") Z ") ?? false)
}

/// The PIDs whose parent is `pid` (the postmaster's helpers lead process groups of their own).
private func childProcesses(of pid: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { candidate in
        guard let text = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8),
            let end = text.lastIndex(of: ")")
        else { return false }
        let fields = text[text.index(after: end)...].split(separator: " ")
        return fields.count > 1 && Int32(fields[1]) == pid
    }
}

/// The name of the user a process runs as (its real UID).
private func processOwner(_ pid: Int32) throws -> String {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Uid:") })
    let uid = try #require(line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { UInt32($0) })
    let entry = try #require(getpwuid(uid))
    return String(cString: entry.pointee.pw_name)
}
