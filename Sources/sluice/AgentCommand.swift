import Agent
import ArgumentParser
import Foundation
import GitSource
import Ledger
import Logging
import ServiceLifecycle
import SyncEngine

/// `sluice agent`: continuous delivery of the application until SIGTERM or SIGINT.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Follow the ref spec and sync every new commit, until SIGTERM or SIGINT.",
        discussion: """
            Polls the repository every --interval (±10% jitter) with one listing of its refs; an idle poll \
            makes no fetch and no cluster request. A failed sync is retried per the retry policy (by default \
            twice, after 5s and 10s); a newer commit supersedes the retry. A stalled revision (invalid or \
            refused manifests, a missing path, nothing to apply) is not retried until a new commit or new \
            settings; network and server errors back off. Serves /healthz, /readyz, /metrics (or on \
            --metrics-listen), the webhooks and the API on --listen. With no cluster configured it runs against the embedded LocalCluster in \
            STATE/local-cluster and says so, with the kubeconfig path for kubectl.
            """)

    @OptionGroup var source: SourceOptions
    @OptionGroup var verify: VerifyOptions
    @OptionGroup var target: TargetOptions
    @OptionGroup var flags: SyncFlags

    @Option(help: ArgumentHelp("How often the repository is checked, e.g. 30s, 1m.", valueName: "duration"))
    var interval = "1m"

    @Option(help: ArgumentHelp("Address for /healthz, /readyz, /metrics (unless --metrics-listen), the webhooks and the API (port 0 picks a free one).", valueName: "host:port"))
    var listen = "127.0.0.1:9797"

    @Flag(help: "Replay each first-parent commit since the last applied one, in order; a failure stops there.")
    var everyCommit = false

    @Option(help: ArgumentHelp("Retries of one failed revision before waiting for a new commit (0: none); an application's retry: in --config overrides the retry flags.", valueName: "n"))
    var retryLimit = 2

    @Option(help: ArgumentHelp("Delay before the first retry of a failed sync.", valueName: "duration"))
    var retryDelay = "5s"

    @Option(help: ArgumentHelp("How much longer each later retry delay is.", valueName: "n"))
    var retryFactor = 2

    @Option(help: ArgumentHelp("The longest retry delay.", valueName: "duration"))
    var retryMaxDelay = "3m"

    @Option(help: ArgumentHelp("How often managed objects are compared with the last applied revision (server-side dry runs); 0 turns it off.", valueName: "duration"))
    var driftInterval = "10m"

    @Flag(help: "Re-apply objects that drifted from the last applied revision (without hooks) instead of only reporting them.")
    var selfHeal = false

    @Flag(inversion: .prefixedNo, help: "Elect a leader with a coordination.k8s.io Lease, so that of several replicas one syncs (default: on in a cluster).")
    var leaderElect: Bool?

    @Option(help: ArgumentHelp("The leader election Lease's name (in the inventory namespace).", valueName: "name"))
    var leaderElectionID = "sluice-agent"

    @Option(help: ArgumentHelp("How long a leader's Lease lasts without renewal; another replica takes over after it.", valueName: "duration"))
    var leaseDuration = "15s"

    @Option(help: "Log format: text or json (one JSON object per line, with app, revision and phase as fields).")
    var logFormat: OutputFormat = .text

    @Option(help: ArgumentHelp("YAML file of applications (see Docs/agent.md); re-read while the agent runs.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Syncs (and so hooks) running at once over all applications; the others wait their turn.", valueName: "n"))
    var maxConcurrentSyncs = 4

    @Option(help: ArgumentHelp("Source checks (ref listings) running at once over all applications, so that many applications do not open as many connections to one Git server.", valueName: "n"))
    var maxConcurrentChecks = 16

    @Flag(help: "Check the --config file, print its applications, and exit (0 when valid, 2 with every problem otherwise).")
    var checkConfig = false

    @Option(help: ArgumentHelp("File holding the secret that push webhooks are signed with (turns /hooks/* on).", valueName: "file"))
    var webhookSecretFile: String?

    @Option(help: ArgumentHelp("File holding the bearer token of POST /api/v1/apps/{app}/sync (turns it on).", valueName: "file"))
    var apiTokenFile: String?

    @Flag(help: "The read API (GET /api/v1/apps, .../history) wants the --api-token-file bearer token too (/healthz and /readyz stay open).")
    var apiReadAuth = false

    @Option(help: ArgumentHelp("Serve /metrics on this address instead of on --listen (port 0 picks a free one).", valueName: "host:port"))
    var metricsListen: String?

    @Option(help: ArgumentHelp("API and webhook requests handled at once; more get 503 with Retry-After (/healthz and /readyz are not counted).", valueName: "n"))
    var maxRequestsInFlight = 64

    @Option(help: ArgumentHelp("Close an HTTP connection with no request under way for this long.", valueName: "duration"))
    var httpIdleTimeout = "60s"

    @Option(help: ArgumentHelp("Close an HTTP connection whose request head takes longer than this (from the connection's opening or the request's first byte).", valueName: "duration"))
    var httpHeaderTimeout = "10s"

    @Option(help: ArgumentHelp("Close an HTTP connection whose request body takes longer than this (from the end of its head).", valueName: "duration"))
    var httpBodyTimeout = "30s"

    /// A secret file's bytes without the trailing newline editors add; never printed.
    static func secret(_ path: String?, flag: String) throws -> [UInt8]? {
        guard let path else { return nil }
        guard var text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIExit.usage("\(flag): cannot read \(path)") }
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        guard !text.isEmpty else { throw CLIExit.usage("\(flag): \(path) is empty") }
        return Array(text.utf8)
    }

    func validate() throws {
        guard parseDuration(interval) != nil else { throw ValidationError("--interval: '\(interval)' is not a duration (e.g. 30s, 1m)") }
        guard parseDuration(retryDelay) != nil else { throw ValidationError("--retry-delay: '\(retryDelay)' is not a duration (e.g. 5s)") }
        guard retryLimit >= 0 else { throw ValidationError("--retry-limit must be 0 or more") }
        guard retryFactor >= 1 else { throw ValidationError("--retry-factor must be 1 or more") }
        guard parseDuration(retryMaxDelay) != nil else { throw ValidationError("--retry-max-delay: '\(retryMaxDelay)' is not a duration (e.g. 3m)") }
        guard maxConcurrentSyncs >= 1 else { throw ValidationError("--max-concurrent-syncs must be 1 or more") }
        guard maxConcurrentChecks >= 1 else { throw ValidationError("--max-concurrent-checks must be 1 or more") }
        guard maxRequestsInFlight >= 1 else { throw ValidationError("--max-requests-in-flight must be 1 or more") }
        for (flag, value) in [("--http-idle-timeout", httpIdleTimeout), ("--http-header-timeout", httpHeaderTimeout), ("--http-body-timeout", httpBodyTimeout)] {
            guard parseDuration(value) != nil else { throw ValidationError("\(flag): '\(value)' is not a duration (e.g. 30s)") }
        }
        guard parseDuration(leaseDuration) != nil else { throw ValidationError("--lease-duration: '\(leaseDuration)' is not a duration (e.g. 15s)") }
        guard driftInterval == "0" || parseDuration(driftInterval) != nil else {
            throw ValidationError("--drift-interval: '\(driftInterval)' is not a duration (e.g. 10m, or 0 to turn it off)")
        }
    }

    func run() async throws {
        // Before the agent's threads start, so that glibc makes at most two malloc arenas.
        Agent.tuneAllocator()
        let json = logFormat == .json
        LoggingSystem.bootstrap { label in
            if json { return JSONLogHandler(label: label) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        if config != nil, source.repo != nil {
            throw CLIExit.usage("give either --config or --repo, not both")
        }
        if config != nil, verify.isSet {
            throw CLIExit.usage("with --config, set verify: for each application in the file instead of --verify")
        }
        let gitOptions = try source.gitOptions()
        if apiReadAuth, apiTokenFile == nil {
            throw CLIExit.usage("--api-read-auth needs --api-token-file: the read API would want a token that no request can have")
        }
        let (host, port) = try LocalClusterCommand.parseListen(listen)
        if !checkConfig { try ListenCheck.check(host: host, port: port) }
        var http = AgentHTTPOptions()
        if let metricsListen {
            guard let parsed = try? LocalClusterCommand.parseListen(metricsListen) else {
                throw CLIExit.usage("--metrics-listen must be host:port, e.g. 127.0.0.1:9798 (got \(metricsListen))")
            }
            if parsed.1 != 0, parsed.1 == port, parsed.0 == host { throw CLIExit.usage("--metrics-listen must differ from --listen (both \(listen))") }
            if !checkConfig { try ListenCheck.check(host: parsed.0, port: parsed.1) }
            http.metricsListen = (parsed.0, parsed.1)
        }
        http.readAuth = apiReadAuth
        http.maxRequestsInFlight = maxRequestsInFlight
        http.idleTimeout = parseDuration(httpIdleTimeout) ?? http.idleTimeout
        http.headerTimeout = parseDuration(httpHeaderTimeout) ?? http.headerTimeout
        http.bodyTimeout = parseDuration(httpBodyTimeout) ?? http.bodyTimeout
        let webhookSecret = try Self.secret(webhookSecretFile, flag: "--webhook-secret-file")
        let apiToken = try Self.secret(apiTokenFile, flag: "--api-token-file")
        var options = AgentOptions()
        options.interval = parseDuration(interval) ?? .seconds(60)
        options.retry = RetryPolicy(
            limit: retryLimit, duration: parseDuration(retryDelay) ?? .seconds(5), factor: retryFactor,
            maxDuration: parseDuration(retryMaxDelay) ?? .seconds(180))
        options.maxConcurrentSyncs = maxConcurrentSyncs
        options.maxConcurrentChecks = maxConcurrentChecks
        options.driftInterval = driftInterval == "0" ? nil : parseDuration(driftInterval)
        options.selfHeal = selfHeal
        // Check the configuration before anything starts: a broken file is refused with file and field.
        // The namespace is each application's own (the configuration file names it per application).
        let defaults = try flags.configuration(app: "", inventoryNamespace: "", namespace: "default")
        if let config {
            do {
                _ = try AgentConfigFile.load(path: config, defaults: defaults, inventoryNamespace: "sluice-system", defaultNamespace: "default")
            } catch let error as AgentConfigFile.Invalid {
                throw CLIExit.usage(error.description)
            }
        }
        if checkConfig {
            guard let config else { throw CLIExit.usage("--check-config needs --config FILE") }
            let file = try AgentConfigFile.load(path: config, defaults: defaults, inventoryNamespace: "sluice-system", defaultNamespace: "default")
            for application in file.applications {
                print("\(application.name): \(application.url.description) \(application.spec) \(application.path.isEmpty ? "/" : application.path)")
            }
            print("\(config): \(file.applications.count) application\(file.applications.count == 1 ? "" : "s"), valid")
            return
        }
        let url = config == nil ? try source.repositoryURL() : nil
        // One agent per state directory: a second would sync every application twice.
        let lockPath = StateLock.agentPath(stateDirectory: source.stateDir)
        let agentLock: StateLock
        do {
            guard let lock = try StateLock.tryLock(lockPath, holder: "pid \(ProcessInfo.processInfo.processIdentifier): sluice agent") else {
                throw CLIExit.usage(
                    "the state directory \(source.stateDir) is in use by another sluice agent (\(StateLock.holder(lockPath) ?? "holder unknown")); "
                        + "stop it, or give this agent its own --state-dir")
            }
            agentLock = lock
        } catch let error as LedgerError {
            throw CLIExit.usage(error.message)
        }
        defer { agentLock.release() }
        let cluster = try await target.connect(stateDirectory: source.stateDir, runPods: true)
        let ledger: Ledger
        do {
            // With leader election a replica writes nothing until it leads: it marks its
            // predecessor's attempts Interrupted when it takes the Lease.
            ledger = try await Ledger.open(
                try source.ledgerLocation(), stateDirectory: source.stateDir, markInterrupted: !(leaderElect ?? cluster.inCluster))
        } catch let error as LedgerError {
            await cluster.stop()
            throw CLIExit.usage(error.message)
        }
        let inventoryNamespace = cluster.inventoryNamespace
        let defaultNamespace = cluster.client.defaultNamespace
        var applications: [AgentApplication] = []
        var reload: (@Sendable () throws -> [AgentApplication]?)?
        if let config {
            let watcher = AgentConfigWatcher(path: config) {
                try AgentConfigFile.load(path: config, defaults: defaults, inventoryNamespace: inventoryNamespace, defaultNamespace: defaultNamespace)
            }
            guard let file = try watcher.loadIfChanged() else { throw CLIExit.usage("\(config): cannot read the file") }  // the first call always reads
            applications = file.applications
            if let fileInterval = file.interval { options.interval = fileInterval }
            reload = { try watcher.loadIfChanged()?.applications }
        } else if let url {
            var application = AgentApplication(
                url: url, spec: try source.refSpec(), path: source.path, credentials: try source.credentials(),
                loadOptions: source.loadOptions(defaultNamespace: defaultNamespace),
                sync: try flags.configuration(app: source.appName(url), inventoryNamespace: inventoryNamespace, namespace: defaultNamespace),
                everyCommit: everyCommit)
            application.verification = try verify.verification(for: application.spec)
            applications = [application]
        }
        var election: LeaderElection?
        if leaderElect ?? cluster.inCluster {
            let duration = parseDuration(leaseDuration) ?? .seconds(15)
            election = LeaderElection(
                namespace: inventoryNamespace, name: leaderElectionID, identity: LeaderElection.defaultIdentity(),
                leaseDuration: duration, retryPeriod: max(duration / 5, .milliseconds(200)))
            // The Pod (from the Downward API, as the Helm chart passes it) is labelled while it leads.
            let environment = ProcessInfo.processInfo.environment
            if let name = environment["POD_NAME"], !name.isEmpty {
                election?.pod = (environment["POD_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 } ?? inventoryNamespace, name)
            }
        }
        let agent = Agent(
            applications: applications, client: cluster.client, ledger: ledger, stateDirectory: source.stateDir, gitOptions: gitOptions,
            options: options, listen: (host, port), webhookSecret: webhookSecret, apiToken: apiToken, reload: reload, election: election,
            http: http)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: agent)], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "sluice.agent")))
        do {
            try await group.run()
        } catch {
            try? await ledger.close()
            await cluster.stop()
            throw CLIExit(code: 1, message: "\(error)")
        }
        try? await ledger.close()
        await cluster.stop()
    }
}
