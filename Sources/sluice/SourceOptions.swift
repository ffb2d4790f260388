import ArgumentParser
import Foundation
import GitSource
import Ledger
import Manifests

/// SOURCE in DESIGN.md: the repository, the ref spec, the path, and credentials.
/// Secrets come from files or the environment, never from the command line.
struct SourceOptions: ParsableArguments {
    @Option(name: .customLong("repo"), help: "Repository URL: https://, http://, ssh://, user@host:path, git://, file:// or a local path.")
    var repo: String?

    @Option(help: "Follow the head of this branch.")
    var branch: String?

    @Option(help: "Pin to this tag (annotated tags are peeled to their commit).")
    var tag: String?

    @Option(help: "Follow the highest tag in this semver range, e.g. '>=1.2.0 <2.0.0', '^1.2', '~1.2.3', '1.x'.")
    var semver: String?

    @Option(help: "Pin to this commit (40 hex digits, or a unique prefix of at least 7).")
    var commit: String?

    @Option(help: "Directory of the application's manifests in the repository (default: the root).")
    var path: String = ""

    @Option(help: "Application name (default: derived from the repository and path).")
    var app: String?

    @Option(help: "User name for HTTPS basic auth or SSH.")
    var username: String?

    @Option(help: "File holding the HTTPS password (or set SLUICE_GIT_PASSWORD).")
    var passwordFile: String?

    @Option(help: "File holding an HTTPS token: sent as the basic-auth password with --username, else as a bearer token (or set SLUICE_GIT_TOKEN).")
    var tokenFile: String?

    @Option(help: "File holding an HTTPS bearer token (Authorization: Bearer).")
    var bearerTokenFile: String?

    @Option(help: "SSH private key file.")
    var sshKey: String?

    @Option(help: "File holding the SSH key's passphrase (or set SLUICE_SSH_PASSPHRASE).")
    var sshPassphraseFile: String?

    @Option(help: "known_hosts file; SSH hosts not listed there are refused.")
    var knownHosts: String?

    @Option(help: "PEM file of CAs to trust for HTTPS instead of the system store.")
    var caFile: String?

    @Flag(help: "Do not verify the HTTPS server's certificate (insecure; must be asked for).")
    var insecureSkipTLSVerify = false

    @Option(help: "Deadline for each Git operation, e.g. 60s, 2m.")
    var gitTimeout: String = "60s"

    @Option(help: "State directory: mirrors, the ledger, the embedded cluster's data.")
    var stateDir: String = ".sluice"

    @OptionGroup var ledgerOptions: LedgerOptions

    @OptionGroup(title: "Helm charts") var helm: HelmFlags

    /// The ledger these options name.
    func ledgerLocation() throws -> LedgerLocation { try ledgerOptions.location(stateDirectory: stateDir) }

    func validate() throws {
        let pins = [branch, tag, semver, commit].compactMap { $0 }
        if pins.count > 1 {
            throw ValidationError("give at most one of --branch, --tag, --semver and --commit")
        }
    }

    /// The parsed repository URL, or a usage error.
    func repositoryURL() throws -> RepositoryURL {
        guard let repo else { throw CLIExit.usage("--repo is required") }
        do { return try RepositoryURL(repo) } catch let error as GitSourceError { throw CLIExit.usage(error.message) }
    }

    /// The ref spec, defaulting to the remote's default branch.
    func refSpec() throws -> RefSpec {
        if let branch { return .branch(branch) }
        if let tag { return .tag(tag) }
        if let commit { return .commit(commit) }
        if let semver {
            do { return .semver(try SemanticVersionRange(semver)) } catch let error as GitSourceError { throw CLIExit.usage(error.message) }
        }
        return .defaultBranch
    }

    /// Credentials from the files and environment variables given.
    func credentials() throws -> GitCredentials {
        let env = ProcessInfo.processInfo.environment
        do {
            var creds = GitCredentials(username: username, sshPrivateKey: sshKey, knownHosts: knownHosts, caBundle: caFile,
                                       insecureSkipTLSVerify: insecureSkipTLSVerify)
            if let passwordFile { creds.password = try Secret.file(passwordFile) }
            else if let value = env["SLUICE_GIT_PASSWORD"], !value.isEmpty { creds.password = Secret(value) }
            var token: Secret?
            if let tokenFile { token = try Secret.file(tokenFile) }
            else if let value = env["SLUICE_GIT_TOKEN"], !value.isEmpty { token = Secret(value) }
            if let token {
                if username != nil { creds.password = token } else { creds.bearerToken = token }
            }
            if let bearerTokenFile { creds.bearerToken = try Secret.file(bearerTokenFile) }
            if let sshPassphraseFile { creds.sshPassphrase = try Secret.file(sshPassphraseFile) }
            else if let value = env["SLUICE_SSH_PASSPHRASE"], !value.isEmpty { creds.sshPassphrase = Secret(value) }
            for (flag, file) in [("--ssh-key", sshKey), ("--known-hosts", knownHosts), ("--ca-file", caFile)] {
                if let file, !FileManager.default.isReadableFile(atPath: file) {
                    throw CLIExit.usage("\(flag): cannot read \(file)")
                }
            }
            return creds
        } catch let error as GitSourceError {
            throw CLIExit.usage(error.message)
        }
    }

    /// Options for GitSource from the flags.
    /// The Git settings of the flags; `progress` shows how fetches advance.
    func gitOptions(progress: ProgressPrinter? = nil) throws -> GitSourceOptions {
        var options = GitSourceOptions()
        guard let timeout = parseDuration(gitTimeout) else {
            throw CLIExit.usage("--git-timeout: '\(gitTimeout)' is not a duration (e.g. 30s, 2m)")
        }
        options.operationTimeout = timeout
        return progress?.gitOptions(options) ?? options
    }
}

/// Parses `500ms`, `30s`, `5m`, `1h`, `1m30s`, or a bare number of seconds (Go's form, as
/// annotations write durations); only positive durations are accepted.
func parseDuration(_ text: String) -> Duration? {
    guard let duration = DurationText.parse(text), duration > .zero else { return nil }
    return duration
}
