import Curl
import Foundation

/// GitSource's HTTP requests, made through the Curl module on behalf of an operation: the
/// settings they share (TLS, credentials, redirects, deadline, cancellation) and what their
/// failures and statuses mean for a Git remote.
enum SmartHTTP {
    /// TLS, credentials and limits for every request of `context`'s operation.
    static func settings(_ context: OperationContext) -> CurlSettings {
        let creds = context.credentials
        var settings = CurlSettings(
            caFile: creds.caBundle, insecureSkipVerify: creds.insecureSkipTLSVerify,
            // Redirects are followed only over HTTP(S), never from HTTPS down to HTTP, and
            // credentials are never sent to another host.
            redirects: .follow(maximum: 5),
            // A connection that delivers nothing for 30 s is given up even inside the deadline.
            connectTimeout: .seconds(30), stallTimeout: .seconds(30),
            acceptCompression: false, userAgent: "git/2.0 (\(context.userAgent))")
        // HTTPS_PROXY, HTTP_PROXY and NO_PROXY from the environment are honoured by libcurl itself.
        if let token = creds.bearerToken {
            settings.authentication = .bearer(token: token.value)
        } else if let password = creds.password {
            settings.authentication = .basic(username: creds.username ?? context.url.user ?? "git", password: password.value)
        }
        return settings
    }

    /// A request that ends by the operation's deadline and stops when it is cancelled.
    static func request(_ url: String, context: OperationContext, headers: [(String, String)], body: [UInt8]? = nil) -> CurlRequest {
        CurlRequest(
            method: body == nil ? "GET" : "POST", url: url, headers: headers, body: body, deadline: context.deadline,
            shouldStop: { context.shouldAbort })
    }

    /// Sends a small request (the ref listing) and reads the whole answer, refusing bodies over
    /// `limit` bytes; blocks the operation's thread.
    static func send(_ request: CurlRequest, context: OperationContext, limit: Int = 64 << 20) throws(GitSourceError) -> CurlResponse {
        var request = request
        request.maximumBodySize = limit
        do {
            return try CurlTransfer.sendBlocking(request, settings: settings(context))
        } catch {
            throw Self.error(error, context: context)
        }
    }

    /// Translates a failed transfer into an error naming the URL (without credentials).
    static func error(_ failure: CurlError, context: OperationContext) -> GitSourceError {
        let where_ = RepositoryURL.redact(failure.url)
        if context.isCancelled { return GitSourceError(.cancelled, "\(where_): cancelled") }
        switch failure.kind {
        case .timeout:
            return GitSourceError(.timeout, "\(where_) did not answer within \(context.timeoutDescription) (\(failure.message))")
        case .tls where failure.serverCertificateUntrusted:
            return GitSourceError(.untrusted, "the TLS certificate of \(where_) is not trusted: \(failure.message); give the CA with --ca-file, or ask for --insecure-skip-tls-verify")
        case .connect:
            return GitSourceError(.network, "cannot connect to \(where_): \(failure.message)")
        case .cancelled:
            return context.abortError(where_)
        default:
            return GitSourceError(.network, "\(where_): \(failure.message)")
        }
    }

    /// The error for an HTTP status other than 200.
    static func statusError(_ status: Int, url: String, context: OperationContext) -> GitSourceError {
        let where_ = status == 404 || status == 401 || status == 403 ? context.url.description : RepositoryURL.redact(url)
        let hasCreds = context.credentials.password != nil || context.credentials.bearerToken != nil
        switch status {
        case 401, 403:
            return GitSourceError(.authentication, hasCreds
                ? "\(where_) refused the credentials (HTTP \(status))"
                : "\(where_) needs credentials (HTTP \(status)); give --username with --password-file or --token-file")
        case 404:
            return GitSourceError(.notFound, "repository not found at \(where_) (HTTP 404)")
        case 429, 500...599:
            return GitSourceError(.network, "\(where_) answered HTTP \(status); will retry later")
        default:
            return GitSourceError(.protocolError, "\(where_) answered HTTP \(status)")
        }
    }
}
