import CLibGit2
import Crypto
import Foundation

/// An OpenSSH known_hosts file: plain and hashed host patterns, `[host]:port`, wildcards,
/// negations and `@revoked`.
struct KnownHosts {
    enum Verdict { case trusted, unknown, mismatch, revoked }

    private struct Entry {
        var marker: String?
        var patterns: [String]
        var hashed: (salt: Data, hash: Data)?
        var keyType: String
        var key: Data
    }
    private var entries: [Entry] = []

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw GitSourceError(.invalidInput, "cannot read the known_hosts file \(path)")
        }
        for line in text.split(whereSeparator: \.isNewline) {
            var fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = fields.first, !first.hasPrefix("#") else { continue }
            var marker: String?
            if first.hasPrefix("@") {
                marker = first
                fields.removeFirst()
            }
            guard fields.count >= 3, let key = Data(base64Encoded: fields[2]) else { continue }
            var entry = Entry(marker: marker, patterns: [], hashed: nil, keyType: fields[1], key: key)
            if fields[0].hasPrefix("|1|") {
                let parts = fields[0].split(separator: "|")
                if parts.count == 3, let salt = Data(base64Encoded: String(parts[1])), let hash = Data(base64Encoded: String(parts[2])) {
                    entry.hashed = (salt, hash)
                }
            } else {
                entry.patterns = fields[0].split(separator: ",").map(String.init)
            }
            entries.append(entry)
        }
    }

    /// The name a host has in known_hosts: `host`, or `[host]:port` off port 22.
    static func pattern(host: String, port: Int) -> String {
        port == 22 ? host : "[\(host)]:\(port)"
    }

    static func keyType(_ raw: git_cert_ssh_raw_type_t) -> String? {
        switch raw {
        case GIT_CERT_SSH_RAW_TYPE_RSA: return "ssh-rsa"
        case GIT_CERT_SSH_RAW_TYPE_DSS: return "ssh-dss"
        case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_256: return "ecdsa-sha2-nistp256"
        case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_384: return "ecdsa-sha2-nistp384"
        case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_521: return "ecdsa-sha2-nistp521"
        case GIT_CERT_SSH_RAW_TYPE_KEY_ED25519: return "ssh-ed25519"
        default: return nil
        }
    }

    func verify(host: String, port: Int, keyType: String?, key: Data) -> Verdict {
        let name = KnownHosts.pattern(host: host, port: port)
        var sawHost = false
        for entry in entries where matches(entry, name) {
            if entry.marker == "@revoked" {
                if entry.key == key { return .revoked }
                continue
            }
            if entry.marker != nil { continue }
            sawHost = true
            if entry.key == key && (keyType == nil || entry.keyType == keyType) { return .trusted }
        }
        return sawHost ? .mismatch : .unknown
    }

    private func matches(_ entry: Entry, _ name: String) -> Bool {
        if let hashed = entry.hashed {
            let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(name.utf8), using: SymmetricKey(data: hashed.salt))
            return Data(mac) == hashed.hash
        }
        var matched = false
        for pattern in entry.patterns {
            if pattern.hasPrefix("!") {
                if KnownHosts.glob(String(pattern.dropFirst()), name) { return false }
            } else if KnownHosts.glob(pattern, name) {
                matched = true
            }
        }
        return matched
    }

    /// OpenSSH host patterns know only `*` and `?`; brackets (`[host]:port`) are literal.
    static func glob(_ pattern: String, _ name: String) -> Bool {
        var escaped = ""
        for c in pattern.lowercased() {
            if c == "[" || c == "]" || c == "\\" { escaped.append("\\") }
            escaped.append(c)
        }
        return fnmatch(escaped, name.lowercased(), 0) == 0
    }
}
