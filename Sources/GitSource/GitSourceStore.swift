/// The mirrors of one state directory: one `GitMirror` per normalised repository URL, and one
/// remote check per repository per interval however many applications use it.
public actor GitSourceStore {
    private let stateDirectory: String
    private let options: GitSourceOptions
    private var mirrors: [String: GitMirror] = [:]
    private struct Check { var at: ContinuousClock.Instant; var listing: RemoteListing; var prefixes: [String] }
    private var checks: [String: Check] = [:]
    private var inFlight: [String: Task<RemoteListing, Error>] = [:]

    /// A store for mirrors under `stateDirectory`.
    public init(stateDirectory: String, options: GitSourceOptions = GitSourceOptions()) {
        self.stateDirectory = stateDirectory
        self.options = options
    }

    /// The mirror for `url`, created on first use. Credentials are those of the first caller.
    public func mirror(for url: RepositoryURL, credentials: GitCredentials = GitCredentials()) -> GitMirror {
        if let existing = mirrors[url.normalized] { return existing }
        let mirror = GitMirror(url: url, credentials: credentials, stateDirectory: stateDirectory, options: options)
        mirrors[url.normalized] = mirror
        return mirror
    }

    /// Resolves `spec` from a listing of the remote no older than `maxAge`; concurrent callers for
    /// the same repository share one request. The listing asks for every branch and tag the spec
    /// family needs, so applications pinned to different refs of one repository share it too.
    public func check(_ url: RepositoryURL, spec: RefSpec, credentials: GitCredentials = GitCredentials(),
                      maxAge: Duration) async throws -> ResolvedRevision {
        if case .commit = spec { return try await mirror(for: url, credentials: credentials).resolveRemote(spec) }
        let key = url.normalized
        let prefixes = ["HEAD", "refs/heads/", "refs/tags/"]
        if let cached = checks[key], ContinuousClock.now - cached.at < maxAge {
            return try cached.listing.resolve(spec, url: url)
        }
        if let running = inFlight[key] {
            return try await running.value.resolve(spec, url: url)
        }
        let mirror = self.mirror(for: url, credentials: credentials)
        let task = Task { try await mirror.listRemote(prefixes: prefixes) }
        inFlight[key] = task
        defer { inFlight[key] = nil }
        let listing = try await task.value
        checks[key] = Check(at: .now, listing: listing, prefixes: prefixes)
        return try listing.resolve(spec, url: url)
    }
}

