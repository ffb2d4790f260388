/// The mirrors of one state directory: one `GitMirror` per normalised repository URL, and one
/// remote check per repository per interval however many applications use it.
public actor GitSourceStore {
    private let stateDirectory: String
    private let options: GitSourceOptions
    private var mirrors: [String: GitMirror] = [:]
    private struct Check {
        /// When its request started, on ``elapsed``: it holds every push made before then.
        var at: Duration
        var listing: RemoteListing
        var prefixes: [String]
    }
    private var checks: [String: Check] = [:]
    private var inFlight: [String: (prefixes: [String], started: Duration, task: Task<RemoteListing, Error>)] = [:]

    /// The time since the store was made, on its clock: what a listing's age is measured on.
    private let elapsed: @Sendable () -> Duration

    /// A store for mirrors under `stateDirectory`; `clock` ages the cached listings (a test's clock
    /// in tests).
    public init(stateDirectory: String, options: GitSourceOptions = GitSourceOptions(), clock: any Clock<Duration> = ContinuousClock()) {
        self.stateDirectory = stateDirectory
        self.options = options
        self.elapsed = clock.stopwatch()
    }

    /// The mirror for `url`, created on first use. Credentials are those of the first caller.
    public func mirror(for url: RepositoryURL, credentials: GitCredentials = GitCredentials()) -> GitMirror {
        if let existing = mirrors[url.normalized] { return existing }
        let mirror = GitMirror(url: url, credentials: credentials, stateDirectory: stateDirectory, options: options)
        mirrors[url.normalized] = mirror
        return mirror
    }

    /// Now, on the store's clock: a mark for ``check(_:specs:credentials:listedSince:)``, such as
    /// when a push webhook arrived.
    public func now() -> Duration { elapsed() }

    /// Resolves every spec that applications of one repository follow, from one listing of the
    /// remote whose request started no more than `maxAge` ago.
    public func check(_ url: RepositoryURL, specs: [RefSpec], credentials: GitCredentials = GitCredentials(),
                      maxAge: Duration) async throws -> [RefSpec: Result<ResolvedRevision, GitSourceError>] {
        try await check(url, specs: specs, credentials: credentials, listedSince: elapsed() - maxAge)
    }

    /// Resolves every spec that applications of one repository follow, from one listing of the
    /// remote whose request started after `listedSince` (a mark from ``now()``): a listing
    /// that started after a push webhook arrived holds the push, so every application the webhook
    /// names is answered from one listing, even those whose check waited for a slot. The listing
    /// asks only for the refs these specs need (`ref-prefix`), and concurrent callers share a
    /// request already running when it covers them and started late enough. A spec that cannot be
    /// resolved (a deleted branch) fails alone.
    public func check(_ url: RepositoryURL, specs: [RefSpec], credentials: GitCredentials = GitCredentials(),
                      listedSince: Duration) async throws -> [RefSpec: Result<ResolvedRevision, GitSourceError>] {
        var results: [RefSpec: Result<ResolvedRevision, GitSourceError>] = [:]
        let mirror = self.mirror(for: url, credentials: credentials)
        let listed = specs.filter { if case .commit = $0 { return false } else { return true } }
        for spec in specs where !listed.contains(spec) {
            results[spec] = await Result { try await mirror.resolveRemote(spec) }.mapError(Self.gitError)
        }
        guard !listed.isEmpty else { return results }
        let needed = Array(Set(listed.flatMap(\.refPrefixes))).sorted()
        let listing = try await listing(for: url.normalized, mirror: mirror, prefixes: needed, listedSince: listedSince)
        for spec in listed {
            results[spec] = Result { try listing.resolve(spec, url: url) }.mapError(Self.gitError)
        }
        return results
    }

    /// Resolves one spec; see ``check(_:specs:credentials:maxAge:)``.
    public func check(_ url: RepositoryURL, spec: RefSpec, credentials: GitCredentials = GitCredentials(),
                      maxAge: Duration) async throws -> ResolvedRevision {
        try await check(url, spec: spec, credentials: credentials, listedSince: elapsed() - maxAge)
    }

    /// Resolves one spec; see ``check(_:specs:credentials:listedSince:)``.
    public func check(_ url: RepositoryURL, spec: RefSpec, credentials: GitCredentials = GitCredentials(),
                      listedSince: Duration) async throws -> ResolvedRevision {
        guard let result = try await check(url, specs: [spec], credentials: credentials, listedSince: listedSince)[spec] else {
            throw GitSourceError(.other, "no result for \(spec)")
        }
        return try result.get()
    }

    private func listing(for key: String, mirror: GitMirror, prefixes: [String], listedSince: Duration) async throws -> RemoteListing {
        if let cached = checks[key], cached.at > listedSince, Self.covers(cached.prefixes, prefixes) {
            return cached.listing
        }
        if let running = inFlight[key], running.started > listedSince, Self.covers(running.prefixes, prefixes) {
            return try await running.task.value
        }
        let started = elapsed()
        let task = Task { try await mirror.listRemote(prefixes: prefixes) }
        inFlight[key] = (prefixes, started, task)
        defer { if inFlight[key]?.started == started && inFlight[key]?.prefixes == prefixes { inFlight[key] = nil } }
        let listing = try await task.value
        // A newer listing may have finished first; the cache keeps the newest.
        if checks[key].map({ $0.at <= started }) ?? true {
            checks[key] = Check(at: started, listing: listing, prefixes: prefixes)
        }
        return listing
    }

    /// Whether a listing made with `have` holds every ref that `need` asks for.
    private static func covers(_ have: [String], _ need: [String]) -> Bool {
        need.allSatisfy { n in have.contains { n.hasPrefix($0) } }
    }

    private static func gitError(_ error: Error) -> GitSourceError {
        error as? GitSourceError ?? GitSourceError(.other, "\(error)")
    }
}

extension Result where Failure == Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

extension Clock where Duration == Swift.Duration {
    /// A function giving the time on this clock since `stopwatch()` was called: how code that
    /// takes an injected clock measures intervals.
    public func stopwatch() -> @Sendable () -> Duration {
        let start = now
        return { start.duration(to: self.now) }
    }
}
