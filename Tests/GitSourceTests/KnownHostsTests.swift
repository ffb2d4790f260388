import Foundation
import Testing
import TestSupport
@testable import GitSource

@Suite("known_hosts matching")
struct KnownHostsTests {
    static let key = Data("a host key".utf8)
    static let other = Data("another key".utf8)

    func file(_ text: String) throws -> (KnownHosts, TemporaryDirectory) {
        let directory = try TemporaryDirectory(label: "kh")
        let path = directory.appending("known_hosts")
        try Data(text.utf8).write(to: path)
        return (try KnownHosts(path: path.path), directory)
    }

    @Test("matches [host]:port literally, plain hosts, wildcards and negations")
    func patterns() throws {
        let k = Self.key.base64EncodedString()
        let (hosts, directory) = try file("""
        # comment
        [127.0.0.1]:2222 ssh-ed25519 \(k)
        git.example.com,10.0.0.5 ssh-ed25519 \(k)
        *.corp.example,!bad.corp.example ssh-ed25519 \(k)
        """)
        defer { directory.remove() }
        #expect(hosts.verify(host: "127.0.0.1", port: 2222, keyType: "ssh-ed25519", key: Self.key) == .trusted)
        #expect(hosts.verify(host: "127.0.0.1", port: 22, keyType: "ssh-ed25519", key: Self.key) == .unknown)
        #expect(hosts.verify(host: "1", port: 2222, keyType: "ssh-ed25519", key: Self.key) == .unknown)
        #expect(hosts.verify(host: "GIT.example.com", port: 22, keyType: "ssh-ed25519", key: Self.key) == .trusted)
        #expect(hosts.verify(host: "git.example.com", port: 22, keyType: "ssh-ed25519", key: Self.other) == .mismatch)
        #expect(hosts.verify(host: "a.corp.example", port: 22, keyType: "ssh-ed25519", key: Self.key) == .trusted)
        #expect(hosts.verify(host: "bad.corp.example", port: 22, keyType: "ssh-ed25519", key: Self.key) == .unknown)
    }

    @Test("a revoked key is refused even when another line trusts it")
    func revoked() throws {
        let k = Self.key.base64EncodedString()
        let (hosts, directory) = try file("@revoked * ssh-ed25519 \(k)\ngit.example.com ssh-ed25519 \(k)\n")
        defer { directory.remove() }
        #expect(hosts.verify(host: "git.example.com", port: 22, keyType: "ssh-ed25519", key: Self.key) == .revoked)
    }
}
