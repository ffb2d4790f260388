import Agent
import Foundation
import KubeModel
import Logging
import Synchronization
import Testing

@Suite("JSON logs")
struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test("each line is one JSON object with the level, message and metadata as fields, and credentials removed")
    func linesAreJSON() throws {
        let lines = Lines()
        var logger = Logger(label: "sluice.agent") { label in JSONLogHandler(label: label, write: { lines.append($0) }) }
        logger[metadataKey: "app"] = "shop"
        logger.info(
            "cannot fetch https://deploy:s3cr3t-token@git.example.com/shop/app.git",
            metadata: ["revision": "5b0c1c8", "phase": "PreSync", "repo": "https://deploy:s3cr3t-token@git.example.com/shop/app.git"])
        logger.debug("not written at the default level")
        #expect(lines.all.count == 1)
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("\n"))
        #expect(!line.dropLast().contains("\n"))
        let object = try JSONValue.parse(Array(line.utf8))
        #expect(object["level"]?.stringValue == "info")
        #expect(object["logger"]?.stringValue == "sluice.agent")
        #expect(object["app"]?.stringValue == "shop")
        #expect(object["revision"]?.stringValue == "5b0c1c8")
        #expect(object["phase"]?.stringValue == "PreSync")
        #expect(object["time"]?.stringValue?.hasSuffix("Z") == true)
        #expect(!line.contains("s3cr3t-token"))
        #expect(object["message"]?.stringValue?.contains("git.example.com/shop/app.git") == true)
    }
}
