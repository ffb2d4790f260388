import Foundation
import Manifests
import Testing
import TestSupport

@Suite struct LimitTests {
    /// The classic "billion laughs": nine levels of ten aliases, 10⁹ strings from under 1 KB.
    static let billionLaughs: String = {
        var text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\nl0: &l0 [\"lol\"]\n"
        for level in 1...9 {
            text += "l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ",") + "]\n"
        }
        return text
    }()

    /// Expanding it would take minutes and gigabytes; the test finishing at all is the point.
    @Test func aBillionLaughsDocumentIsRefusedBeforeItExpands() throws {
        let error = try #require(Fixtures.loadError(["lol.yaml": Self.billionLaughs]))
        let problem = try #require(error.problems.first)
        #expect(problem.code == .limitExceeded)
        #expect(problem.file == "lol.yaml")
        #expect(problem.document == 1)
        #expect(problem.message.contains("aliases expand"))
    }

    @Test func anAliasToAHugeStructureUsedAsAMappingKeyIsRefusedBeforeItIsCompared() throws {
        let text = Self.billionLaughs + "data:\n  *l9 : boom\n"
        let error = try #require(Fixtures.loadError(["key.yaml": text]))
        #expect(error.problems.first?.message.contains("cannot be a mapping key") == true, "\(error)")
    }

    @Test func theAliasLimitCanBeRaisedOrLowered() throws {
        var text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  base: &base {a: '1', b: '2', c: '3'}\n"
        text += "list: [" + Array(repeating: "*base", count: 10).joined(separator: ",") + "]\n"
        // Ten aliases of a four-node mapping: 40 nodes.
        #expect(Fixtures.loadError(["a.yaml": text], options: LoadOptions(maxAliasNodes: 40)) == nil)
        #expect(Fixtures.loadError(["a.yaml": text], options: LoadOptions(maxAliasNodes: 39))?.problems.first?.code == .limitExceeded)
    }

    /// Deeply nested texts, by name (the texts themselves are too long to print).
    static let deepTexts: [String: String] = [
        "100,000 brackets": String(repeating: "[", count: 100_000),
        "50,000 flow mappings": String(repeating: "{a: ", count: 50_000),
        "100,000 sequence entries on a line": String(repeating: "- ", count: 100_000) + "x\n",
        "600 balanced brackets": String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ]

    @Test(arguments: deepTexts.keys.sorted())
    func absurdlyDeepNestingIsRefusedWithoutExhaustingTheStack(_ name: String) throws {
        let error = try #require(Fixtures.loadError(["deep.yaml": Self.deepTexts[name] ?? ""]))
        #expect(error.problems.first?.code == .limitExceeded, "\(error)")
    }

    @Test func aFileOverTheSizeLimitIsRefusedUnread() throws {
        let directory = try TemporaryDirectory(label: "manifests")
        let big = Fixtures.configMap("big", data: String(repeating: "x", count: 2_000))
        try Fixtures.write(["big.yaml": big, "small.yaml": Fixtures.configMap("small")], in: directory)
        let error = try #require(throws: ManifestError.self) {
            try ManifestLoader.load(directory: directory.url, options: LoadOptions(maxFileBytes: 1_000))
        }
        #expect(error.problems.count == 1)
        #expect(error.problems.first?.file == "big.yaml")
        #expect(error.problems.first?.code == .limitExceeded)
        #expect(error.problems.first?.message.contains("more than the limit of 1000") == true)
    }

    @Test func aRevisionOverTheTotalLimitIsRefused() throws {
        var files: [String: String] = [:]
        for index in 0..<20 { files["f\(index).yaml"] = Fixtures.configMap("cm-\(index)", data: String(repeating: "y", count: 100)) }
        let error = try #require(Fixtures.loadError(files, options: LoadOptions(maxTotalBytes: 1_000)))
        #expect(error.problems.count == 1)
        #expect(error.problems.first?.code == .limitExceeded)
        #expect(error.problems.first?.message.contains("larger than the limit of 1000 bytes") == true)
        #expect(Fixtures.loadError(files, options: LoadOptions(maxTotalBytes: 10_000)) == nil)
    }
}
