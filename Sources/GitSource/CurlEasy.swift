import CLibCurl
import Foundation

/// One libcurl easy handle, configured for talking to a Git server on behalf of an operation.
///
/// Owns the handle, its header list and its error buffer, and frees them in `deinit`.
/// Not `Sendable`: it lives on the thread that runs the Git operation.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let url: String

    private static let globalInit: Void = { _ = sluice_curl_global_init() }()

    /// A handle for `url` with TLS, proxy, credentials and deadline settings from `context`.
    init(url: String, context: OperationContext, headers: [String]) throws {
        _ = CurlEasy.globalInit
        guard let handle = curl_easy_init() else {
            throw GitSourceError(.other, "libcurl could not create a handle")
        }
        self.handle = handle
        self.url = url
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        _ = sluice_curl_setopt_string(handle, CURLOPT_URL, url)
        _ = sluice_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = sluice_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = sluice_curl_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        _ = sluice_curl_setopt_string(handle, CURLOPT_USERAGENT, "git/2.0 (\(context.userAgent))")
        // Redirects are followed only over HTTP(S), never from HTTPS down to HTTP, and
        // credentials are never sent to another host (libcurl's default without UNRESTRICTED_AUTH).
        _ = sluice_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 1)
        _ = sluice_curl_setopt_long(handle, CURLOPT_MAXREDIRS, 5)
        // A moved repository answers the pack request with a redirect too; it must stay a POST.
        _ = sluice_curl_setopt_long(handle, CURLOPT_POSTREDIR, 7)
        _ = sluice_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = sluice_curl_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, context.url.transport == .https ? "https" : "http,https")
        // Every transfer ends by the operation's deadline, and a connection that delivers
        // nothing for 30 s is given up even inside it.
        let leftMs = context.millisecondsLeft
        _ = sluice_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, leftMs)
        _ = sluice_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(leftMs, 30_000))
        _ = sluice_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
        _ = sluice_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, 30)

        let creds = context.credentials
        if let ca = creds.caBundle { _ = sluice_curl_setopt_string(handle, CURLOPT_CAINFO, ca) }
        if creds.insecureSkipTLSVerify {
            _ = sluice_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
            _ = sluice_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let token = creds.bearerToken {
            _ = sluice_curl_setopt_long(handle, CURLOPT_HTTPAUTH, sluice_curlauth_bearer())
            _ = sluice_curl_setopt_string(handle, CURLOPT_XOAUTH2_BEARER, token.value)
        } else if let password = creds.password {
            _ = sluice_curl_setopt_long(handle, CURLOPT_HTTPAUTH, sluice_curlauth_basic())
            _ = sluice_curl_setopt_string(handle, CURLOPT_USERNAME, creds.username ?? context.url.user ?? "git")
            _ = sluice_curl_setopt_string(handle, CURLOPT_PASSWORD, password.value)
        }
        // HTTPS_PROXY, HTTP_PROXY and NO_PROXY from the environment are honoured by libcurl itself.
        for header in headers + ["Expect:"] {
            headerList = curl_slist_append(headerList, header)
        }
        _ = sluice_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Sends `body` as a POST (libcurl copies it).
    func setPostBody(_ body: [UInt8]) {
        _ = sluice_curl_setopt_long(handle, CURLOPT_POST, 1)
        _ = sluice_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
        body.withUnsafeBytes { raw in
            _ = sluice_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress))
        }
    }

    var responseCode: Int {
        var code = 0
        _ = sluice_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    var contentType: String? {
        var pointer: UnsafeMutablePointer<CChar>?
        _ = sluice_curl_getinfo_string(handle, CURLINFO_CONTENT_TYPE, &pointer)
        return pointer.map { String(cString: $0) }
    }

    /// Translates a failed transfer into an error naming the URL (without credentials).
    func error(_ code: CURLcode, context: OperationContext) -> GitSourceError {
        let detail = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        let where_ = RepositoryURL.redact(url)
        if context.isCancelled { return GitSourceError(.cancelled, "\(where_): cancelled") }
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return GitSourceError(.timeout, "\(where_) did not answer within \(context.timeoutDescription) (\(detail))")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return GitSourceError(.untrusted, "the TLS certificate of \(where_) is not trusted: \(detail); give the CA with --ca-file, or ask for --insecure-skip-tls-verify")
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            return GitSourceError(.network, "cannot connect to \(where_): \(detail)")
        case CURLE_ABORTED_BY_CALLBACK:
            return context.abortError(where_)
        default:
            return GitSourceError(.network, "\(where_): \(detail)")
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
