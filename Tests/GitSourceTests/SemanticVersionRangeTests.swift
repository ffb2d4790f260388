import Testing
@testable import GitSource

@Suite("Semver ranges over tags")
struct SemanticVersionRangeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var range: String
        var tags: [String]
        var expected: String?
        var testDescription: String { "'\(range)' over \(tags) picks \(expected ?? "nothing")" }
    }

    static let cases: [Case] = [
        Case(range: ">=1.2.0 <2.0.0", tags: ["v1.1.9", "v1.2.0", "v1.9.3", "v2.0.0"], expected: "v1.9.3"),
        Case(range: ">=1.2, <2", tags: ["1.2.0", "1.3.0", "2.0.0"], expected: "1.3.0"),
        Case(range: "^1.2", tags: ["v1.1.0", "v1.2.5", "v1.10.0", "v2.0.0"], expected: "v1.10.0"),
        Case(range: "^1.2.3", tags: ["v1.2.2", "v1.2.3"], expected: "v1.2.3"),
        Case(range: "^0.2.3", tags: ["v0.2.3", "v0.2.9", "v0.3.0"], expected: "v0.2.9"),
        Case(range: "^0.0.3", tags: ["v0.0.3", "v0.0.4"], expected: "v0.0.3"),
        Case(range: "~1.2.3", tags: ["v1.2.3", "v1.2.10", "v1.3.0"], expected: "v1.2.10"),
        Case(range: "~1.2", tags: ["v1.2.0", "v1.2.7", "v1.3.0"], expected: "v1.2.7"),
        Case(range: "~1", tags: ["v1.0.0", "v1.9.0", "v2.0.0"], expected: "v1.9.0"),
        Case(range: "1.x", tags: ["v0.9.0", "v1.0.0", "v1.99.1", "v2.0.0"], expected: "v1.99.1"),
        Case(range: "1.2.x", tags: ["v1.2.0", "v1.2.8", "v1.3.0"], expected: "v1.2.8"),
        Case(range: "1.2.*", tags: ["v1.2.1", "v1.3.0"], expected: "v1.2.1"),
        Case(range: "*", tags: ["v0.1.0", "v3.0.0", "v3.0.1-rc.1"], expected: "v3.0.0"),
        Case(range: "1.2.3", tags: ["v1.2.3", "v1.2.4"], expected: "v1.2.3"),
        Case(range: "1.2 - 1.4", tags: ["v1.1.9", "v1.4.9", "v1.5.0"], expected: "v1.4.9"),
        Case(range: "1.2.0 - 1.4.5", tags: ["v1.4.5", "v1.4.6"], expected: "v1.4.5"),
        Case(range: "<1.0.0 || >=3.0.0", tags: ["v0.9.0", "v2.0.0", "v3.1.0"], expected: "v3.1.0"),
        Case(range: "!=1.5.0, >=1.0.0 <2.0.0", tags: ["v1.4.0", "v1.5.0"], expected: "v1.4.0"),
        // Semver order, not string order.
        Case(range: ">=1.0.0", tags: ["v1.9.0", "v1.10.0", "v1.2.0"], expected: "v1.10.0"),
        // Pre-releases only when the range names one.
        Case(range: ">=1.0.0", tags: ["v1.0.0", "v1.1.0-rc.1"], expected: "v1.0.0"),
        Case(range: ">=1.1.0-rc.0", tags: ["v1.0.0", "v1.1.0-rc.1", "v1.1.0-rc.2"], expected: "v1.1.0-rc.2"),
        Case(range: ">=1.1.0-rc.0", tags: ["v1.1.0-rc.2", "v1.1.0"], expected: "v1.1.0"),
        Case(range: "^1.0.0-alpha", tags: ["v1.0.0-alpha.2", "v1.0.0-alpha.10", "v1.0.0-beta"], expected: "v1.0.0-beta"),
        Case(range: "^1.0.0-alpha", tags: ["v2.0.0-alpha"], expected: nil),
        // The v prefix is optional on both sides; non-versions are ignored.
        Case(range: "v1.x", tags: ["1.4.0", "release-1.5", "latest"], expected: "1.4.0"),
        Case(range: ">=5.0.0", tags: ["v1.0.0"], expected: nil),
        // Build metadata does not order versions.
        Case(range: "1.0.x", tags: ["v1.0.1+build.9", "v1.0.0+build.99"], expected: "v1.0.1+build.9"),
    ]

    @Test("picks the highest matching tag by semver order", arguments: cases)
    func picksHighest(_ c: Case) throws {
        let range = try SemanticVersionRange(c.range)
        let refs = c.tags.map { RemoteRef(name: "refs/tags/\($0)", target: String(repeating: "a", count: 40)) }
        let listing = RemoteListing(refs: refs, method: "test")
        let url = try RepositoryURL("/tmp/repo")
        if let expected = c.expected {
            let resolved = try listing.resolve(.semver(range), url: url)
            #expect(resolved.ref == "refs/tags/\(expected)")
        } else {
            #expect(throws: GitSourceError.self) { try listing.resolve(.semver(range), url: url) }
        }
    }

    @Test("rejects ranges it cannot read, quoting them", arguments: [">=", "^x.y", "1.2.3.4", ">=1.0 <", "~>>1", "01.2.3"])
    func rejectsGarbage(_ text: String) {
        #expect {
            try SemanticVersionRange(text)
        } throws: { error in
            (error as? GitSourceError)?.code == .invalidInput && "\(error)".contains(text)
        }
    }

    @Test("orders pre-release identifiers as semver.org says")
    func prereleaseOrder() throws {
        let ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"]
        let versions = try ordered.map { try #require(SemanticVersion($0)) }
        for (a, b) in zip(versions, versions.dropFirst()) {
            #expect(a < b, "\(a) < \(b)")
        }
    }
}
