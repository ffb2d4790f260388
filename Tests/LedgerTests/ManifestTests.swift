import Foundation
import Ledger
import Testing

@Suite("Rendered manifests")
struct ManifestTests {
    static let rendered = Array(
        String(
            repeating: """
                {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"}}

                """, count: 200
        ).utf8)

    @Test("Identical manifests of two attempts are stored once and read back equal", arguments: LedgerBackend.allCases)
    func contentAddressed(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let first = try await fixture.begin(revision("a1"))
        let retry = try await fixture.begin(revision("a1"), trigger: .retry)
        let otherRevision = try await fixture.begin(revision("b2"))

        let digest = try await fixture.ledger.recordManifests(Self.rendered, for: first)
        #expect(try await fixture.ledger.recordManifests(Self.rendered, for: retry) == digest)
        #expect(try await fixture.ledger.recordManifests(Self.rendered, for: otherRevision) == digest)

        let statistics = try await fixture.ledger.statistics()
        #expect(statistics.manifestBlobs == 1)
        #expect(statistics.manifestBytesStored < Self.rendered.count / 4)
        #expect(digest.count == 64)
        #expect(try await fixture.ledger.attempt(retry).manifestDigest == digest)
        #expect(try await fixture.ledger.manifests(app: "shop", revision: revision("a1")) == Self.rendered)
        #expect(try await fixture.ledger.manifests(app: "shop", revision: revision("b2")) == Self.rendered)
    }

    @Test("Different manifests get their own blobs, and the latest recorded for a revision is returned", arguments: LedgerBackend.allCases)
    func differentContent(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let first = try await fixture.begin(revision("a1"))
        let second = try await fixture.begin(revision("a1"), trigger: .manual)
        let changed = Self.rendered + Array("# rendered again\n".utf8)
        try await fixture.ledger.recordManifests(Self.rendered, for: first)
        try await fixture.ledger.recordManifests(changed, for: second)

        #expect(try await fixture.ledger.statistics().manifestBlobs == 2)
        #expect(try await fixture.ledger.manifests(app: "shop", revision: revision("a1")) == changed)
    }

    @Test("Manifests survive re-opening the ledger, and empty manifests round-trip", arguments: LedgerBackend.allCases)
    func survivesReopen(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let attempt = try await fixture.begin(revision("a1"))
        let empty = try await fixture.begin(revision("e0"))
        try await fixture.ledger.recordManifests(Self.rendered, for: attempt)
        try await fixture.ledger.recordManifests([], for: empty)
        try await fixture.ledger.close()

        let reopened = try await fixture.reopen()
        #expect(try await reopened.manifests(app: "shop", revision: revision("a1")) == Self.rendered)
        #expect(try await reopened.manifests(app: "shop", revision: revision("e0")) == [])
    }

    @Test("A revision with no recorded manifests reads back as nil", arguments: LedgerBackend.allCases)
    func missingManifests(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        _ = try await fixture.begin(revision("a1"))
        #expect(try await fixture.ledger.manifests(app: "shop", revision: revision("a1")) == nil)
        #expect(try await fixture.ledger.manifests(app: "blog", revision: revision("a1")) == nil)
    }
}
