import CLibGit2
import Foundation

/// The blocking half of a mirror: every libgit2 call for one repository, run on its serial queue.
final class MirrorWorker: @unchecked Sendable {
    let url: RepositoryURL
    let path: String
    let credentials: GitCredentials
    let options: GitSourceOptions
    private var handle: GitRepositoryHandle?
    /// Set when an HTTP server answered a v2 request with something else; v0 from then on.
    private var httpLacksV2 = false

    init(url: RepositoryURL, path: String, credentials: GitCredentials, options: GitSourceOptions) {
        self.url = url
        self.path = path
        self.credentials = credentials
        self.options = options
    }

    func repository() throws -> GitRepositoryHandle {
        if let handle { return handle }
        let opened = try GitRepositoryHandle(bareAt: path)
        handle = opened
        return opened
    }

    /// Frees the open repository (its object cache and mapped pack windows); the next operation
    /// opens it again.
    func closeRepository() {
        handle = nil
    }

    func makeContext() -> OperationContext {
        OperationContext(url: url, credentials: credentials, timeout: options.operationTimeout, progress: options.fetchProgress)
    }

    /// Runs `body` with the socket watchdog armed for transports libcurl does not carry.
    func guarded<T>(_ context: OperationContext, _ body: () throws -> T) rethrows -> T {
        switch url.transport {
        case .ssh, .git:
            let watchdog = SocketWatchdog(context: context, port: url.port ?? (url.transport == .ssh ? 22 : 9418))
            defer { watchdog.finish() }
            return try body()
        default:
            return try body()
        }
    }

    // MARK: Listing

    func list(prefixes: [String], context: OperationContext) throws -> RemoteListing {
        LibGit2.ensureInitialized()
        switch url.transport {
        case .http, .https:
            if !httpLacksV2, let listing = try SmartHTTPRefLister.listV2(context, prefixes: prefixes) {
                return listing
            }
            httpLacksV2 = true
            return try SmartHTTPRefLister.listV0(context, prefixes: prefixes)
        default:
            return try guarded(context) { try listWithLibGit2(prefixes: prefixes, context: context) }
        }
    }

    private func listWithLibGit2(prefixes: [String], context: OperationContext) throws -> RemoteListing {
        if url.transport == .local {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw GitSourceError(.notFound, "repository not found at \(url)")
            }
        }
        var remote: OpaquePointer?
        var code = git_remote_create_detached(&remote, url.gitURL)
        guard code == 0, let remote else { throw LibGit2.error(code, "cannot list \(url)", context: context) }
        defer { git_remote_free(remote) }
        var callbacks = RemoteCallbacks.make(for: context)
        var proxy = git_proxy_options()
        git_proxy_options_init(&proxy, UInt32(GIT_PROXY_OPTIONS_VERSION))
        code = withExtendedLifetime(context) { git_remote_connect(remote, GIT_DIRECTION_FETCH, &callbacks, &proxy, nil) }
        guard code == 0 else { throw LibGit2.error(code, "cannot list \(url)", context: context) }
        defer { git_remote_disconnect(remote) }
        var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
        var count = 0
        code = git_remote_ls(&heads, &count, remote)
        guard code == 0 else { throw LibGit2.error(code, "cannot list \(url)", context: context) }
        var raw: [(oid: String, name: String, symref: String?)] = []
        for i in 0..<count {
            guard let heads else { break }
            guard let head = heads[i]?.pointee, let name = head.name else { continue }
            raw.append((LibGit2.hex(head.oid), String(cString: name), head.symref_target.map { String(cString: $0) }))
        }
        return RemoteListing.fold(raw, prefixes: prefixes, method: "libgit2")
    }

    // MARK: Fetch

    /// Fetches `refspecs` into the mirror (forced, so force-pushes and moved tags are followed).
    func fetch(refspecs: [String], context: OperationContext) throws {
        if try fetchLocal(refspecs: refspecs, context: context) { return }
        let repo = try repository()
        var remote: OpaquePointer?
        // An anonymous remote of the mirror, without `url.<base>.insteadOf` rewriting (as the
        // ref listing's detached remote has none). Applying it runs a regular expression over the
        // configuration, and libgit2 1.5 leaks each failed match's PCRE2 match data (about 17 KB;
        // libgit2 #6382, fixed after 1.5): with `git_remote_create_anonymous` an agent grew by about
        // 50 KB at every fetch.
        var createOptions = git_remote_create_options()
        git_remote_create_options_init(&createOptions, UInt32(GIT_REMOTE_CREATE_OPTIONS_VERSION))
        createOptions.repository = repo.pointer
        createOptions.flags = UInt32(GIT_REMOTE_CREATE_SKIP_INSTEADOF.rawValue)
        var code = git_remote_create_with_opts(&remote, url.gitURL, &createOptions)
        guard code == 0, let remote else { throw LibGit2.error(code, "cannot fetch \(url)", context: context) }
        defer { git_remote_free(remote) }
        var fetchOptions = git_fetch_options()
        git_fetch_options_init(&fetchOptions, UInt32(GIT_FETCH_OPTIONS_VERSION))
        fetchOptions.callbacks = RemoteCallbacks.make(for: context)
        fetchOptions.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        fetchOptions.update_fetchhead = 0
        code = withExtendedLifetime(context) {
            guarded(context) {
                withGitStrArray(refspecs) { array in
                    git_remote_fetch(remote, array, &fetchOptions, "sluice fetch")
                }
            }
        }
        guard code == 0 else { throw LibGit2.error(code, "cannot fetch \(url)", context: context) }
    }

    /// Keeps `revision` reachable in the mirror (a force-push must not lose an applied commit).
    func pin(_ revision: String) throws {
        let repo = try repository()
        let commit = try repo.commit(revision)
        guard let oid = git_object_id(commit.pointer) else { return }
        var ref: OpaquePointer?
        let code = git_reference_create(&ref, repo.pointer, "refs/sluice/pinned/\(commit.id)", oid, 1, "sluice pin")
        if let ref { git_reference_free(ref) }
        guard code == 0 else { throw LibGit2.error(code, "cannot pin \(revision)") }
    }
}
