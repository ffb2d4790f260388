import Foundation
@testable import GitSource
import Testing

/// How the verifiers' output is read: `gpgv --status-fd` lines and `ssh-keygen -Y` sentences, as
/// GnuPG 2.2 and OpenSSH 9 print them, and where a tag object's signature starts.
@Suite("Reading what gpgv and ssh-keygen say of a signature")
struct SignatureOutputTests {
    static let good = """
        [GNUPG:] NEWSIG alice@example.com
        [GNUPG:] KEY_CONSIDERED 14C830B3DDCE6693491E4B8A92E5B902CAF64E9A 0
        [GNUPG:] SIG_ID S1wwVlSo8PxGXRxVfJaiWYDwBaU 2026-12-06 1796579966
        [GNUPG:] GOODSIG 92E5B902CAF64E9A Alice <alice@example.com>
        [GNUPG:] VALIDSIG 14C830B3DDCE6693491E4B8A92E5B902CAF64E9A 2026-12-06 1796579966 0 4 0 22 8 00 14C830B3DDCE6693491E4B8A92E5B902CAF64E9A
        """
    static let unknownKey = """
        [GNUPG:] NEWSIG mallory@example.com
        [GNUPG:] ERRSIG 999181E920F8087E 22 8 00 1796580236 9 264A1EC0D718D5434A76C204999181E920F8087E
        [GNUPG:] NO_PUBKEY 999181E920F8087E
        """
    static let unknownKeyWithoutFingerprint = """
        [GNUPG:] ERRSIG 999181E920F8087E 1 8 00 1796580236 9 -
        [GNUPG:] NO_PUBKEY 999181E920F8087E
        """
    static let bad = """
        [GNUPG:] NEWSIG mallory@example.com
        [GNUPG:] KEY_CONSIDERED 264A1EC0D718D5434A76C204999181E920F8087E 0
        [GNUPG:] BADSIG 999181E920F8087E Mallory <mallory@example.com>
        """
    static let expired = """
        [GNUPG:] EXPKEYSIG 92E5B902CAF64E9A Alice <alice@example.com>
        [GNUPG:] VALIDSIG 14C830B3DDCE6693491E4B8A92E5B902CAF64E9A 2026-12-06 1796579966 0 4 0 22 8 00 14C830B3DDCE6693491E4B8A92E5B902CAF64E9A
        """
    static let revoked = "[GNUPG:] REVKEYSIG 92E5B902CAF64E9A Alice <alice@example.com>\n"

    @Test(
        "gpgv's status lines give the signer of a good signature, or the key and identity of one that is not trusted",
        arguments: [
            (good, GPGStatus.good(Signer(format: .openPGP, identity: "Alice <alice@example.com>", key: "14C830B3DDCE6693491E4B8A92E5B902CAF64E9A"))),
            (unknownKey, .noPublicKey(key: "264A1EC0D718D5434A76C204999181E920F8087E", identity: "mallory@example.com")),
            (unknownKeyWithoutFingerprint, .noPublicKey(key: "999181E920F8087E", identity: "")),
            (bad, .bad(key: "999181E920F8087E", identity: "Mallory <mallory@example.com>")),
            (expired, .expired(key: "92E5B902CAF64E9A", identity: "Alice <alice@example.com>")),
            (revoked, .revoked(key: "92E5B902CAF64E9A", identity: "Alice <alice@example.com>")),
            ("gpgv: no valid OpenPGP data found.\n", .unreadable),
        ])
    func gpgStatus(_ output: String, _ expected: GPGStatus) {
        #expect(GPGStatus.parse(output) == expected)
    }

    @Test("an untrusted OpenPGP signature is explained with its key, and the committer when the signature names nobody")
    func gpgExplanation() {
        let named = GPGStatus.parse(Self.unknownKey).explanation(claimedBy: "Mallory <mallory@example.com>")
        #expect(named == "is signed by OpenPGP key 264A1EC0D718D5434A76C204999181E920F8087E (mallory@example.com), which is not in the trusted keyring")
        let anonymous = GPGStatus.parse(Self.unknownKeyWithoutFingerprint).explanation(claimedBy: "Eve <eve@example.com>")
        #expect(anonymous == "is signed by OpenPGP key 999181E920F8087E, committed as Eve <eve@example.com>, which is not in the trusted keyring")
        #expect(GPGStatus.parse(Self.bad).explanation(claimedBy: "").hasPrefix("has a BAD signature by OpenPGP key 999181E920F8087E"))
    }

    @Test(
        "ssh-keygen's good-signature sentence gives the principal and the key's fingerprint",
        arguments: [
            (
                #"Good "git" signature for carol@example.com with ED25519 key SHA256:bQHsZLj1DkdD+wgnmIrlk4YQ8aORXAdzJTkGzNuH4ik"#,
                Signer(format: .ssh, identity: "carol@example.com", key: "SHA256:bQHsZLj1DkdD+wgnmIrlk4YQ8aORXAdzJTkGzNuH4ik") as Signer?
            ),
            (
                #"Good "git" signature with ED25519 key SHA256:bQHsZLj1DkdD+wgnmIrlk4YQ8aORXAdzJTkGzNuH4ik"#,
                Signer(format: .ssh, identity: "", key: "SHA256:bQHsZLj1DkdD+wgnmIrlk4YQ8aORXAdzJTkGzNuH4ik")
            ),
            ("Could not verify signature.\nSignature verification failed: incorrect signature", nil),
        ])
    func sshOutput(_ output: String, _ expected: Signer?) {
        #expect(SSHVerifyOutput.signer(output) == expected)
    }

    @Test("a tag object's signature is the armored block that starts a line of its message; the rest is what was signed")
    func tagSignatureSplit() {
        let payload = "object 3c5c3b3381e9d97433a8abf3c22eb570a63b434f\ntype commit\ntag v1\ntagger A <a@b> 1796579966 +0000\n\nv1\n"
        let signature = "-----BEGIN PGP SIGNATURE-----\n\niIgEABYIADAWIQQ\n=2WkK\n-----END PGP SIGNATURE-----\n"
        let split = MirrorWorker.splitTagSignature(Array((payload + signature).utf8))
        #expect(String(decoding: split.payload, as: UTF8.self) == payload)
        #expect(split.signature.map { String(decoding: $0, as: UTF8.self) } == signature)

        // Quoted in the middle of a line, or absent: no signature.
        let quoted = payload + "see -----BEGIN SSH SIGNATURE----- in the docs\n"
        #expect(MirrorWorker.splitTagSignature(Array(quoted.utf8)).signature == nil)
        #expect(MirrorWorker.header("tagger", in: Array(payload.utf8)) == "A <a@b> 1796579966 +0000")
    }

    @Test("Signer descriptions name the identity and the key, as the ledger records them")
    func signerDescription() {
        #expect(Signer(format: .openPGP, identity: "Alice <alice@example.com>", key: "14C8").description == "Alice <alice@example.com> (OpenPGP key 14C8)")
        #expect(Signer(format: .ssh, identity: "", key: "SHA256:x").description == "SSH key SHA256:x")
    }
}
