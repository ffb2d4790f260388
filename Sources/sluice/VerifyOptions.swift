import ArgumentParser
import Foundation
import GitSource

extension SignatureVerification.Mode: ExpressibleByArgument {}

/// `--verify` and the trusted keys: which signatures must be good before a revision is applied,
/// for the commands that apply or plan one (`sync`, `plan`, `agent`).
struct VerifyOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Apply only revisions with a trusted signature: head (the commit), tag (the annotated tag of a --tag or --semver pin), or all-commits (every commit since the last applied one).",
            valueName: "mode"))
    var verify: SignatureVerification.Mode?

    @Option(help: ArgumentHelp("OpenPGP public keys to trust (armored or binary), a file or a directory of them such as a mounted Secret.", valueName: "path"))
    var verifyKeyring: String?

    @Option(help: ArgumentHelp("SSH allowed-signers file (ssh-keygen's format: principal, then the public key) of keys to trust.", valueName: "file"))
    var verifyAllowedSigners: String?

    /// The verification the flags ask for, `nil` without `--verify`, or a usage error saying what is
    /// missing or does not fit `spec`.
    func verification(for spec: RefSpec) throws -> SignatureVerification? {
        guard let verify else {
            if verifyKeyring != nil || verifyAllowedSigners != nil {
                throw CLIExit.usage("--verify-keyring and --verify-allowed-signers need --verify head, tag or all-commits")
            }
            return nil
        }
        let verification = SignatureVerification(mode: verify, keyring: verifyKeyring, allowedSigners: verifyAllowedSigners)
        let problems = verification.problems(for: spec)
        guard problems.isEmpty else { throw CLIExit.usage(problems.joined(separator: "; ")) }
        return verification
    }

    /// Whether any of the flags was given.
    var isSet: Bool { verify != nil || verifyKeyring != nil || verifyAllowedSigners != nil }
}
