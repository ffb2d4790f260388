import Manifests
import SyncEngine
import Testing

@Suite struct HookNameTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var prefix: String
        var revision: String
        var phase: HookPhase
        var expected: String
        var testDescription: String { "\(prefix.isEmpty ? "(empty)" : String(prefix.prefix(24))) \(phase)" }
    }

    /// Argo CD's name is `generateName + lower("<revision[0:7]>-<phase>-<unix start>")`; only a
    /// name the server would refuse is repaired.
    static let rows: [Row] = [
        Row(prefix: "migrate-", revision: "abcdef0123456789", phase: .preSync, expected: "migrate-abcdef0-presync-1700000000"),
        Row(prefix: "migrate", revision: "abcdef0123456789", phase: .postSync, expected: "migrateabcdef0-postsync-1700000000"),
        Row(prefix: "upgrade-sql-schema", revision: "5b0c1c8d2e", phase: .preSync, expected: "upgrade-sql-schema5b0c1c8-presync-1700000000"),
        Row(prefix: "Notify-Team-", revision: "ABCDEF0123456789", phase: .syncFail, expected: "notify-team-abcdef0-syncfail-1700000000"),
        Row(prefix: "db.migrate.", revision: "abcdef0", phase: .sync, expected: "db.migrate.abcdef0-sync-1700000000"),
        Row(prefix: "weird_name!-", revision: "abcdef0", phase: .sync, expected: "weird-name--abcdef0-sync-1700000000"),
        Row(prefix: "-.-", revision: "abc", phase: .preSync, expected: "abc-presync-1700000000"),
        Row(prefix: "", revision: "", phase: .preSync, expected: "presync-1700000000"),
        Row(
            prefix: String(repeating: "very-long-prefix-", count: 20), revision: "0123456789abcdef", phase: .postSync,
            expected: "very-long-prefix-very-long-prefix-ve0123456-postsync-1700000000"),
    ]

    @Test("a hook with no name at all is named <revision[0:7]>-<phase>-<start>, lower case, as Argo CD names it", arguments: [
        (HookPhase.preSync, "5b0c1c8-presync-1764584671"), (.sync, "5b0c1c8-sync-1764584671"), (.postSync, "5b0c1c8-postsync-1764584671"),
        (.syncFail, "5b0c1c8-syncfail-1764584671"),
    ])
    func unnamedHooks(phase: HookPhase, expected: String) {
        let name = HookName.generated(prefix: "", revision: "5B0C1C8D2E9F00112233445566778899AABBCCDD", phase: phase, attemptStart: 1_764_584_671)
        #expect(name == expected)
    }

    @Test(arguments: rows)
    func generatedNamesAreDerivedFromPrefixRevisionPhaseAndStart(_ row: Row) {
        let name = HookName.generated(prefix: row.prefix, revision: row.revision, phase: row.phase, attemptStart: 1_700_000_000)
        #expect(name == row.expected)
        #expect(HookName.isValidSubdomain(name))
        #expect(name.utf8.count <= HookName.maxLength)
    }

    @Test func theSameAttemptAlwaysGivesTheSameName() {
        let names = (0..<3).map { _ in
            HookName.generated(prefix: "migrate-", revision: "0123456789abcdef0123", phase: .preSync, attemptStart: 42)
        }
        #expect(Set(names).count == 1)
        #expect(HookName.generated(prefix: "migrate-", revision: "0123456789abcdef0123", phase: .preSync, attemptStart: 43) != names[0])
    }

    @Test(arguments: ["a", "a-b", "a.b-c", "0abc", String(repeating: "a", count: 253)])
    func validSubdomainsAreAccepted(_ name: String) {
        #expect(HookName.isValidSubdomain(name))
    }

    @Test(arguments: ["", "-a", "a-", "A", "a..b", "a.-b", "a_b", String(repeating: "a", count: 254)])
    func invalidSubdomainsAreRefused(_ name: String) {
        #expect(!HookName.isValidSubdomain(name))
    }
}
