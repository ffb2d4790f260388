import Foundation
import Testing
import TestSupport

@testable import KubeClient

@Suite("Token files")
struct KubeConfigTokenFileTests {
    /// Writes `text` to `path` and then sets its modification time to `modified`, so a test can
    /// change a file's content without changing its stamp (or change the stamp on purpose).
    static func write(_ text: String, to path: String, modified: Date? = nil) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        if let modified {
            try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: path)
        }
    }

    @Test("a rewritten token file is re-read at once")
    func rotationByRewrite() throws {
        let fixture = try KubeConfigFixture()
        let path = try fixture.write("token", "first\n")
        let file = ClusterConnection.TokenFile(path: path)
        #expect(try file.currentToken() == "first")
        try Self.write("second-token", to: path, modified: Date(timeIntervalSinceNow: 5))
        #expect(try file.currentToken() == "second-token")
    }

    @Test("a token swapped in through a symlink, as the kubelet rotates them, is re-read")
    func rotationBySymlink() throws {
        let fixture = try KubeConfigFixture()
        try fixture.write("data-1/token", "one")
        try fixture.write("data-2/token", "two")
        let manager = FileManager.default
        try manager.createSymbolicLink(atPath: "\(fixture.path)/..data", withDestinationPath: "data-1")
        try manager.createSymbolicLink(atPath: "\(fixture.path)/token", withDestinationPath: "..data/token")
        let file = ClusterConnection.TokenFile(path: "\(fixture.path)/token")
        #expect(try file.currentToken() == "one")
        try manager.createSymbolicLink(atPath: "\(fixture.path)/..data-new", withDestinationPath: "data-2")
        #expect(rename("\(fixture.path)/..data-new", "\(fixture.path)/..data") == 0)
        #expect(try file.currentToken() == "two")
    }

    @Test("an unchanged-looking file is still re-read once the refresh interval has passed")
    func periodicRefresh() throws {
        let fixture = try KubeConfigFixture()
        let clock = ManualWallClock()
        let stamp = Date(timeIntervalSince1970: 1_600_000_000)
        let path = try fixture.write("token", "")
        try Self.write("aaaa", to: path, modified: stamp)
        let file = ClusterConnection.TokenFile(path: path, now: clock.now)
        #expect(try file.currentToken() == "aaaa")
        try Self.write("bbbb", to: path, modified: stamp)
        clock.advance(by: 30)
        #expect(try file.currentToken() == "aaaa")
        clock.advance(by: 31)
        #expect(try file.currentToken() == "bbbb")
    }

    @Test("invalidating after a 401 re-reads the file on the next call")
    func invalidate() throws {
        let fixture = try KubeConfigFixture()
        let stamp = Date(timeIntervalSince1970: 1_600_000_000)
        let path = try fixture.write("token", "")
        try Self.write("old1", to: path, modified: stamp)
        let file = ClusterConnection.TokenFile(path: path)
        #expect(try file.currentToken() == "old1")
        try Self.write("new1", to: path, modified: stamp)
        #expect(try file.currentToken() == "old1")
        file.invalidate()
        #expect(try file.currentToken() == "new1")
    }

    @Test("the previous token is kept when the file disappears or turns empty")
    func keepsPreviousToken() throws {
        let fixture = try KubeConfigFixture()
        let path = try fixture.write("token", "kept")
        let file = ClusterConnection.TokenFile(path: path)
        #expect(try file.currentToken() == "kept")
        try Self.write("", to: path, modified: Date(timeIntervalSinceNow: 10))
        #expect(try file.currentToken() == "kept")
        try FileManager.default.removeItem(atPath: path)
        #expect(try file.currentToken() == "kept")
    }

    @Test("an empty or missing token file with no earlier token is an io error")
    func emptyOrMissing() throws {
        let fixture = try KubeConfigFixture()
        let path = try fixture.write("token", "  \n")
        #expect(throws: KubeConfigError(.io, "\(path): the token file is empty")) {
            try ClusterConnection.TokenFile(path: path).currentToken()
        }
        #expect(throws: KubeConfigError(.io, "\(path).gone: cannot read the token file: No such file or directory")) {
            try ClusterConnection.TokenFile(path: path + ".gone").currentToken()
        }
    }

    @Test("a kubeconfig tokenFile rotates through the connection's request authentication")
    func tokenFileThroughConnection() async throws {
        let fixture = try KubeConfigFixture()
        let path = try fixture.write("secrets/token", "before\n")
        try fixture.write("config", KubeConfigFixture.single(user: "tokenFile: secrets/token\ntoken: ignored-literal"))
        let connection = try fixture.load(explicit: "config")
        #expect("\(connection.credentials)" == "token (file \(path))")
        #expect(try await connection.requestAuthentication().authorization == "Bearer before")
        try Self.write("after", to: path, modified: Date(timeIntervalSinceNow: 5))
        let authentication = try await connection.requestAuthentication()
        #expect(authentication.authorization == "Bearer after")
        #expect(connection.credentialsRejected(authentication))
    }
}
