import Foundation
import ProcessSpawn

/// Checks one signature with the programs `git verify-commit` runs: `gpgv` for OpenPGP (after
/// `gpg --dearmor` of armored keys, which `gpgv` cannot read), and `ssh-keygen -Y find-principals`
/// then `-Y verify` for SSH (`-Y check-novalidate` only to name the key of an untrusted one).
///
/// One verifier checks any number of objects (`all-commits`) in one temporary directory, with the
/// keyring dearmored once; the directory goes with the verifier. Blocking: it runs child processes;
/// use it on one thread off the cooperative thread pool. Key material is never put in a message:
/// only key ids, fingerprints and identities.
final class SignatureVerifier {
    let verification: SignatureVerification
    let timeout: Duration
    private var directory: String?
    /// The binary keyring and the GnuPG home `gpgv` runs with, made at the first OpenPGP signature.
    private var keyring: (file: String, home: String)?
    private var checked = 0

    init(verification: SignatureVerification, timeout: Duration = .seconds(30)) {
        self.verification = verification
        self.timeout = timeout
    }

    deinit {
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// The signer of `object`, or a ``GitSourceError`` `unverified` that says why it is not trusted.
    func verify(_ object: SignedObject) throws -> Signer {
        guard let signature = object.signature else {
            let by = object.claimedBy.isEmpty ? "" : " (made by \(object.claimedBy))"
            throw GitSourceError(.unverified, "\(object.name) is not signed\(by)")
        }
        let directory = try workDirectory()
        checked += 1
        let signatureFile = directory + "/signature-\(checked)"
        let payloadFile = directory + "/payload-\(checked)"
        defer {
            try? FileManager.default.removeItem(atPath: signatureFile)
            try? FileManager.default.removeItem(atPath: payloadFile)
        }
        try Self.write(signature, to: signatureFile)
        try Self.write(object.payload, to: payloadFile)
        let text = String(decoding: signature, as: UTF8.self)
        if text.hasPrefix("-----BEGIN PGP SIGNATURE-----") {
            return try verifyOpenPGP(object, signatureFile: signatureFile, payloadFile: payloadFile, directory: directory)
        }
        if text.hasPrefix("-----BEGIN SSH SIGNATURE-----") {
            return try verifySSH(object, signatureFile: signatureFile, payloadFile: payloadFile)
        }
        throw GitSourceError(.unverified, "\(object.name) has an X.509 (S/MIME) signature; only OpenPGP and SSH signatures can be verified")
    }

    // MARK: OpenPGP

    private func verifyOpenPGP(_ object: SignedObject, signatureFile: String, payloadFile: String, directory: String) throws -> Signer {
        guard let keyring = verification.keyring else {
            throw GitSourceError(
                .unverified, "\(object.name) has an OpenPGP signature, but no OpenPGP keyring is trusted (give --verify-keyring or keys.keyring)")
        }
        let prepared: (file: String, home: String)
        if let ready = self.keyring {
            prepared = ready
        } else {
            let home = directory + "/gnupg"
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            prepared = (directory + "/keyring.gpg", home)
            try prepareKeyring(keyring, into: prepared.file, home: home)
            self.keyring = prepared
        }
        let completed = try run(
            "gpgv", ["--homedir", prepared.home, "--status-fd", "1", "--keyring", prepared.file, signatureFile, payloadFile])
        let status = GPGStatus.parse(String(decoding: completed.standardOutput, as: UTF8.self))
        if completed.status == 0, case .good(let signer) = status { return signer }
        throw GitSourceError(.unverified, "\(object.name) \(status.explanation(claimedBy: object.claimedBy))")
    }

    /// One binary keyring from every key file under `source` (a file, or a directory's regular
    /// files other than dot-files, as a mounted Secret has them): armored keys are dearmored with
    /// `gpg`, binary ones (an OpenPGP packet's first byte has its high bit set) taken as they are.
    /// In a directory, other files (an allowed-signers file in the same Secret) are left out.
    private func prepareKeyring(_ source: String, into destination: String, home: String) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw GitSourceError(.invalidInput, "the OpenPGP keyring \(source) does not exist")
        }
        var files = [source]
        if isDirectory.boolValue {
            let names = (try? manager.contentsOfDirectory(atPath: source)) ?? []
            files = names.filter { !$0.hasPrefix(".") }.sorted().map { source + "/" + $0 }.filter { path in
                var nested: ObjCBool = false
                return manager.fileExists(atPath: path, isDirectory: &nested) && !nested.boolValue
            }
        }
        var keyring: [UInt8] = []
        for file in files {
            guard let data = manager.contents(atPath: file) else {
                throw GitSourceError(.invalidInput, "cannot read the OpenPGP key file \(file)")
            }
            if String(decoding: data.prefix(4096), as: UTF8.self).contains("-----BEGIN PGP PUBLIC KEY BLOCK-----") {
                guard let input = fopen(file, "r") else { throw GitSourceError(.invalidInput, "cannot read the OpenPGP key file \(file)") }
                defer { fclose(input) }
                let completed = try run(
                    "gpg", ["--homedir", home, "--batch", "--no-tty", "--quiet", "--dearmor"], standardInput: .descriptor(fileno(input)))
                guard completed.status == 0 else {
                    throw GitSourceError(.invalidInput, "\(file) holds no OpenPGP public key that gpg can read: \(Self.firstLine(completed.standardError))")
                }
                keyring += completed.standardOutput
            } else if let first = data.first, first & 0x80 != 0 {
                keyring += Array(data)
            } else if !isDirectory.boolValue {
                throw GitSourceError(.invalidInput, "\(file) holds no OpenPGP public key (armored or binary)")
            }
        }
        try Self.write(keyring, to: destination)
    }

    // MARK: SSH

    private func verifySSH(_ object: SignedObject, signatureFile: String, payloadFile: String) throws -> Signer {
        guard let allowed = verification.allowedSigners else {
            let key = try sshKeyFingerprint(signatureFile: signatureFile, payloadFile: payloadFile)
            throw GitSourceError(
                .unverified,
                "\(object.name) has an SSH signature by key \(key ?? "(unknown)"), but no allowed-signers file is trusted "
                    + "(give --verify-allowed-signers or keys.allowedSigners)")
        }
        let found = try run("ssh-keygen", ["-Y", "find-principals", "-f", allowed, "-s", signatureFile])
        let principal = String(decoding: found.standardOutput, as: UTF8.self).split(separator: "\n").first.map(String.init)
        guard found.status == 0, let principal, !principal.isEmpty else {
            let key = try sshKeyFingerprint(signatureFile: signatureFile, payloadFile: payloadFile)
            throw GitSourceError(
                .unverified, "\(object.name) is signed by SSH key \(key ?? "(unknown)"), which is not in the allowed signers \(allowed)"
                    + (object.claimedBy.isEmpty ? "" : " (made by \(object.claimedBy))"))
        }
        guard let input = fopen(payloadFile, "r") else { throw GitSourceError(.other, "cannot read back \(payloadFile)") }
        defer { fclose(input) }
        let verified = try run(
            "ssh-keygen", ["-Y", "verify", "-f", allowed, "-I", principal, "-n", "git", "-s", signatureFile], standardInput: .descriptor(fileno(input)))
        let output = String(decoding: verified.standardOutput + verified.standardError, as: UTF8.self)
        if verified.status == 0, let signer = SSHVerifyOutput.signer(output) { return signer }
        throw GitSourceError(
            .unverified, "\(object.name) has an SSH signature by \(principal) that does not verify: \(Self.firstLine(Array(output.utf8)))")
    }

    /// The fingerprint of the key that made an SSH signature, trusted or not.
    private func sshKeyFingerprint(signatureFile: String, payloadFile: String) throws -> String? {
        guard let input = fopen(payloadFile, "r") else { return nil }
        defer { fclose(input) }
        let checked = try run("ssh-keygen", ["-Y", "check-novalidate", "-n", "git", "-s", signatureFile], standardInput: .descriptor(fileno(input)))
        return SSHVerifyOutput.signer(String(decoding: checked.standardOutput + checked.standardError, as: UTF8.self))?.key
    }

    // MARK: Processes and files

    private func run(_ program: String, _ arguments: [String], standardInput: ChildProcess.Stream = .null) throws -> ChildProcess.Completed {
        guard let executable = Self.locate(program) else {
            throw GitSourceError(.other, "cannot verify signatures: \(program) was not found on PATH (install gnupg, gpgv and openssh-client)")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        let completed: ChildProcess.Completed
        do {
            completed = try ChildProcess.run(
                executable, arguments: [executable] + arguments, environment: environment, standardInput: standardInput,
                timeout: timeout, maximumOutput: 4 << 20)
        } catch {
            throw GitSourceError(.other, "cannot run \(executable): \(error.reason)")
        }
        if completed.timedOut { throw GitSourceError(.timeout, "\(program) did not finish within \(timeout) and was stopped") }
        if completed.outputTooLarge { throw GitSourceError(.other, "\(program) printed more than 4 MiB and was stopped") }
        return completed
    }

    static func locate(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = String(directory) + "/" + program
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private func workDirectory() throws -> String {
        if let directory { return directory }
        let made = try Self.temporaryDirectory()
        directory = made
        return made
    }

    private static func temporaryDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/sluice-verify-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> UnsafeMutablePointer<CChar>? in
            guard let base = buffer.baseAddress else { return nil }
            return mkdtemp(base)
        }
        guard let made else {
            throw GitSourceError(.other, "cannot create a temporary directory to verify a signature: \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    private static func write(_ bytes: [UInt8], to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw GitSourceError(.other, "cannot write \(path) to verify a signature")
        }
    }

    private static func firstLine(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "no output"
    }
}
