import KubeModel
import Foundation
import Ledger
import Testing

@Suite("Attempts and history")
struct AttemptTests {
    @Test("An attempt is recorded Running and finishes Succeeded with the clock's times", arguments: LedgerBackend.allCases)
    func lifecycle(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let started = fixture.clock.now()
        let id = try await fixture.begin(revision("ABCDEF12"), trigger: .webhook)

        let running = try await fixture.ledger.attempt(id)
        #expect(running.outcome == .running)
        #expect(running.revision == revision("abcdef12"))
        #expect(running.trigger == .webhook)
        #expect(running.startedAt == started)
        #expect(running.finishedAt == nil)
        #expect(running.phaseReached == nil)

        try await fixture.ledger.enterPhase("Sync", of: id)
        fixture.clock.advance(by: 12.5)
        try await fixture.ledger.finishAttempt(id, outcome: .succeeded)

        let finished = try await fixture.ledger.attempt(id)
        #expect(finished.outcome == .succeeded)
        #expect(finished.phaseReached == "Sync")
        #expect(finished.finishedAt == started.addingTimeInterval(12.5))
        #expect(try await fixture.ledger.lastSucceeded(app: "shop")?.id == id)
    }

    @Test("Attempts of the same revision are numbered from 1 per application", arguments: LedgerBackend.allCases)
    func numbering(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let first = try await fixture.begin(revision("a1"))
        try await fixture.ledger.finishAttempt(first, outcome: .failed, message: "hook migrate failed")
        let second = try await fixture.begin(revision("a1"), trigger: .retry)
        let otherApp = try await fixture.begin(revision("a1"), app: "blog")
        let otherRevision = try await fixture.begin(revision("b2"))

        #expect(try await fixture.ledger.attempt(first).number == 1)
        #expect(try await fixture.ledger.attempt(second).number == 2)
        #expect(try await fixture.ledger.attempt(otherApp).number == 1)
        #expect(try await fixture.ledger.attempt(otherRevision).number == 1)
        #expect(try await fixture.ledger.attempt(app: "shop", revision: revision("a1")).id == second)
        #expect(try await fixture.ledger.attempt(app: "shop", revision: revision("a1"), number: 1).id == first)
        #expect(try await fixture.ledger.attempt(first).outcomeMessage == "hook migrate failed")
        #expect(try await fixture.ledger.apps() == ["blog", "shop"])
        #expect(try await fixture.ledger.lastSucceeded(app: "shop") == nil)
    }

    @Test("Finishing an attempt twice, or as Running, is refused", arguments: LedgerBackend.allCases)
    func finishingRules(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let id = try await fixture.begin(revision("a1"))
        await #expect(throws: LedgerError.self) { try await fixture.ledger.finishAttempt(id, outcome: .running) }
        try await fixture.ledger.finishAttempt(id, outcome: .superseded)
        let error = await #expect(throws: LedgerError.self) {
            try await fixture.ledger.finishAttempt(id, outcome: .succeeded)
        }
        #expect(error?.message.contains("already finished as Superseded") == true)
    }

    @Test("A revision that is not 40 hex digits cannot begin an attempt", arguments: LedgerBackend.allCases)
    func malformedRevision(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let error = await #expect(throws: LedgerError.self) { try await fixture.begin("main") }
        #expect(error?.code == .invalidArgument)
    }

    @Test("History lists attempts newest first, honours the limit and filters by application", arguments: LedgerBackend.allCases)
    func history(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        var ids: [AttemptID] = []
        for (index, app) in ["shop", "blog", "shop", "shop", "blog"].enumerated() {
            ids.append(try await fixture.begin(revision(String(index + 1)), app: app))
            fixture.clock.advance(by: 1)
        }
        let all = try await fixture.ledger.history(limit: 10)
        #expect(all.map(\.id) == ids.reversed())
        let limited = try await fixture.ledger.history(limit: 2)
        #expect(limited.map(\.id) == [ids[4], ids[3]])
        let shop = try await fixture.ledger.history(app: "shop", limit: 10)
        #expect(shop.map(\.id) == [ids[3], ids[2], ids[0]])
        #expect(try await fixture.ledger.history(app: "nothing", limit: 10).isEmpty)
    }

    struct LookupCase: CustomTestStringConvertible, Sendable {
        let description: String
        let query: String
        let app: String?
        let expected: Result

        enum Result: Sendable, Equatable {
            case found(String)
            case error(LedgerError.Code, mentioning: String)
        }

        var testDescription: String { description }
    }

    static let lookups: [LookupCase] = [
        .init(description: "a unique prefix finds its revision", query: "1234a", app: nil,
              expected: .found(revision("1234abcd"))),
        .init(description: "upper case works like lower case", query: "1234AB", app: nil,
              expected: .found(revision("1234abcd"))),
        .init(description: "the full id finds its revision", query: revision("1234abcd"), app: "shop",
              expected: .found(revision("1234abcd"))),
        .init(description: "a prefix shared by two revisions is ambiguous and lists both", query: "1234", app: nil,
              expected: .error(.ambiguous, mentioning: revision("1234ef"))),
        .init(description: "a revision synced by two applications needs the app", query: "9999", app: nil,
              expected: .error(.ambiguous, mentioning: "--app")),
        .init(description: "naming the app settles a revision shared by two applications", query: "9999", app: "blog",
              expected: .found(revision("9999"))),
        .init(description: "an unknown prefix is not found", query: "dead", app: nil,
              expected: .error(.notFound, mentioning: "dead")),
        .init(description: "a prefix of another app's revision is not found", query: "1234a", app: "blog",
              expected: .error(.notFound, mentioning: "blog")),
        .init(description: "fewer than four digits are refused", query: "123", app: nil,
              expected: .error(.invalidArgument, mentioning: "at least its first 4")),
        .init(description: "non-hex text is refused", query: "main", app: nil,
              expected: .error(.invalidArgument, mentioning: "main")),
    ]

    @Test("Abbreviated revisions resolve when unique and fail clearly otherwise", arguments: LedgerBackend.allCases, lookups)
    func abbreviatedLookup(_ backend: LedgerBackend, _ lookup: LookupCase) async throws {
        let fixture = try await LedgerFixture(backend)
        _ = try await fixture.begin(revision("1234abcd"))
        _ = try await fixture.begin(revision("1234ef"))
        _ = try await fixture.begin(revision("9999"), app: "shop")
        _ = try await fixture.begin(revision("9999"), app: "blog")

        switch lookup.expected {
        case .found(let full):
            let attempt = try await fixture.ledger.attempt(app: lookup.app, revision: lookup.query)
            #expect(attempt.revision == full)
            #expect(try await fixture.ledger.resolveRevision(lookup.query, app: lookup.app) == full)
        case .error(let code, let mentioning):
            let error = await #expect(throws: LedgerError.self) {
                try await fixture.ledger.attempt(app: lookup.app, revision: lookup.query)
            }
            #expect(error?.code == code)
            #expect(error?.message.contains(mentioning) == true, "\(error?.message ?? "")")
        }
    }
}
