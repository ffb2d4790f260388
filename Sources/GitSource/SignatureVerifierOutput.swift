import Foundation

/// What `gpgv --status-fd` says of one signature (GnuPG's doc/DETAILS, "Format of the status
/// output"): the machine-readable lines, not the localised human ones.
package enum GPGStatus: Sendable, Hashable {
    /// `GOODSIG` and `VALIDSIG`: a good signature by a key in the keyring.
    case good(Signer)
    /// `BADSIG`: the signature does not match the data.
    case bad(key: String, identity: String)
    /// `ERRSIG`/`NO_PUBKEY`: the key that made it is not in the keyring.
    case noPublicKey(key: String, identity: String)
    /// `EXPSIG`, `EXPKEYSIG`: the signature or the key has expired.
    case expired(key: String, identity: String)
    /// `REVKEYSIG`: the key was revoked.
    case revoked(key: String, identity: String)
    /// No signature status at all (not a signature gpgv can read).
    case unreadable

    /// Reads the `[GNUPG:]` lines of `output`.
    package static func parse(_ output: String) -> GPGStatus {
        var hint = ""
        var goodKey: String?
        var goodIdentity = ""
        var fingerprint: String?
        var failure: GPGStatus?
        for line in output.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard fields.count >= 2, fields[0] == "[GNUPG:]" else { continue }
            let rest = Array(fields.dropFirst(2))
            let key = rest.first ?? ""
            let identity = rest.dropFirst().joined(separator: " ")
            switch fields[1] {
            case "NEWSIG":
                // The signer's user id as the signature itself claims it (GnuPG 2.1.15 and later).
                hint = rest.joined(separator: " ")
            case "GOODSIG":
                goodKey = key
                goodIdentity = identity
            case "VALIDSIG":
                // The primary key's fingerprint is the last field; the signing (sub)key's the first.
                fingerprint = rest.count >= 10 ? rest[9] : key
            case "BADSIG":
                failure = .bad(key: key, identity: identity.isEmpty ? hint : identity)
            case "EXPSIG", "EXPKEYSIG":
                failure = .expired(key: key, identity: identity.isEmpty ? hint : identity)
            case "REVKEYSIG":
                failure = .revoked(key: key, identity: identity.isEmpty ? hint : identity)
            case "ERRSIG":
                if failure == nil {
                    // The issuer's fingerprint (field 7) when the signature names it, else the key id.
                    let issuer = rest.count >= 7 && rest[6] != "-" ? rest[6] : key
                    failure = .noPublicKey(key: issuer, identity: hint)
                }
            case "NO_PUBKEY":
                if failure == nil { failure = .noPublicKey(key: key, identity: hint) }
            default:
                continue
            }
        }
        if let failure { return failure }
        if let goodKey { return .good(Signer(format: .openPGP, identity: goodIdentity, key: fingerprint ?? goodKey)) }
        return .unreadable
    }

    /// Why the signature is not trusted, as the predicate of a sentence about the object (`is signed
    /// by OpenPGP key …, which is not in the trusted keyring`); `claimedBy` is who the object says made it.
    package func explanation(claimedBy: String) -> String {
        func signer(_ key: String, _ identity: String) -> String {
            let who = identity.isEmpty ? (claimedBy.isEmpty ? "" : ", committed as \(claimedBy)") : " (\(identity))"
            return "OpenPGP key \(key)\(who)"
        }
        switch self {
        case .good(let signer): return "is signed by \(signer)"
        case .bad(let key, let identity): return "has a BAD signature by \(signer(key, identity)): the signed content was altered"
        case .noPublicKey(let key, let identity): return "is signed by \(signer(key, identity)), which is not in the trusted keyring"
        case .expired(let key, let identity): return "is signed by \(signer(key, identity)), whose key or signature has expired"
        case .revoked(let key, let identity): return "is signed by \(signer(key, identity)), which has been revoked"
        case .unreadable: return "has no OpenPGP signature that gpgv can read"
        }
    }
}

/// What `ssh-keygen -Y verify` and `-Y check-novalidate` print of a good signature:
/// `Good "git" signature for PRINCIPAL with ED25519 key SHA256:...` (without `for PRINCIPAL` when
/// no principal was checked).
package enum SSHVerifyOutput {
    /// The signer named by a `Good "…" signature` line; `nil` when there is none.
    package static func signer(_ output: String) -> Signer? {
        for line in output.split(whereSeparator: \.isNewline) where line.hasPrefix("Good \"") {
            guard let keyRange = line.range(of: " key ", options: .backwards) else { continue }
            let key = String(line[keyRange.upperBound...]).trimmingCharacters(in: .whitespaces)
            var identity = ""
            if let forRange = line.range(of: " signature for "), let withRange = line.range(of: " with ", options: .backwards),
               forRange.upperBound <= withRange.lowerBound {
                identity = String(line[forRange.upperBound..<withRange.lowerBound])
            }
            return Signer(format: .ssh, identity: identity, key: key)
        }
        return nil
    }
}
