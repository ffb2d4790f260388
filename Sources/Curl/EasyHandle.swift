import CLibCurl

/// One libcurl easy handle configured for one request: URL, method, headers, body, TLS,
/// proxy, authentication, protocol version, time limits and redirects.
///
/// Owns the handle, its header list and its error buffer, and frees them in `deinit`. Not
/// `Sendable`: it is used by one thread at a time (the caller's while it is configured, the
/// multi loop's while it runs).
final class EasyHandle {
    let pointer: UnsafeMutableRawPointer
    let url: String
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// Strings that must never appear in an error message.
    private let secrets: [String]

    init(request: CurlRequest, settings: CurlSettings) throws(CurlError) {
        CurlLibrary.initialize()
        guard let pointer = curl_easy_init() else {
            throw CurlError(kind: .other, message: "libcurl could not create a handle", url: request.url, code: Int32(CURLE_FAILED_INIT.rawValue))
        }
        self.pointer = pointer
        url = request.url
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var secrets = CurlURL.secrets(in: request.url) + (settings.proxyURL.map(CurlURL.secrets(in:)) ?? [])
        switch settings.authentication {
        case .basic(_, let password)?: secrets.append(password)
        case .bearer(let token)?: secrets.append(token)
        case nil: break
        }
        self.secrets = secrets

        set(CURLOPT_URL, request.url)
        _ = sluice_curl_setopt_pointer(pointer, CURLOPT_ERRORBUFFER, errorBuffer)
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_PIPEWAIT, 1)
        set(CURLOPT_TCP_KEEPALIVE, 1)
        set(CURLOPT_PROTOCOLS_STR, "http,https")
        switch settings.httpVersion {
        case .http1_1: set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        case .http2OverTLS: set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        }
        if settings.acceptCompression { set(CURLOPT_ACCEPT_ENCODING, "") }
        if let userAgent = settings.userAgent { set(CURLOPT_USERAGENT, userAgent) }
        setTimeLimits(request, settings)
        setRedirects(settings.redirects, url: request.url)
        setTLS(settings)
        if let proxy = settings.proxyURL { set(CURLOPT_PROXY, proxy) }
        // Credentials given to libcurl are never sent to a host a redirect leads to
        // (libcurl's default without CURLOPT_UNRESTRICTED_AUTH).
        switch settings.authentication {
        case .basic(let username, let password)?:
            set(CURLOPT_HTTPAUTH, sluice_curlauth_basic())
            set(CURLOPT_USERNAME, username)
            set(CURLOPT_PASSWORD, password)
        case .bearer(let token)?:
            set(CURLOPT_HTTPAUTH, sluice_curlauth_bearer())
            set(CURLOPT_XOAUTH2_BEARER, token)
        case nil: break
        }
        if request.captureCertificate {
            set(CURLOPT_CERTINFO, 1)
            set(CURLOPT_NOBODY, 1)
        }
        setMethod(request.method, body: request.body)
        for (name, value) in request.headers + [("Expect", "")] {
            headerList = curl_slist_append(headerList, value.isEmpty ? "\(name):" : "\(name): \(value)")
        }
        _ = sluice_curl_setopt_slist(pointer, CURLOPT_HTTPHEADER, headerList)
    }

    deinit {
        curl_easy_cleanup(pointer)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    private func set(_ option: CURLoption, _ value: Int) {
        _ = sluice_curl_setopt_long(pointer, option, value)
    }

    private func set(_ option: CURLoption, _ value: String) {
        _ = sluice_curl_setopt_string(pointer, option, value)
    }

    /// Sets a PEM blob; libcurl copies it.
    private func setBlob(_ option: CURLoption, _ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            _ = sluice_curl_setopt_blob(pointer, option, raw.baseAddress, raw.count)
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    private func setTimeLimits(_ request: CurlRequest, _ settings: CurlSettings) {
        var limit = request.timeout
        var connectLimit = settings.connectTimeout
        if let deadline = request.deadline {
            let left = deadline - ContinuousClock.now
            limit = min(limit ?? left, left)
            connectLimit = min(connectLimit, left)
        }
        set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(connectLimit))
        if let limit { set(CURLOPT_TIMEOUT_MS, Self.milliseconds(limit)) }
        if let stall = settings.stallTimeout {
            set(CURLOPT_LOW_SPEED_LIMIT, 1)
            set(CURLOPT_LOW_SPEED_TIME, max(1, Int(stall.components.seconds)))
        }
    }

    private func setRedirects(_ redirects: CurlSettings.Redirects, url: String) {
        guard case .follow(let maximum) = redirects else { return }
        set(CURLOPT_FOLLOWLOCATION, 1)
        set(CURLOPT_MAXREDIRS, maximum)
        // A moved resource answers a POST with a redirect too; it must stay a POST.
        set(CURLOPT_POSTREDIR, 7)
        // Only HTTP(S), and never from HTTPS down to HTTP.
        set(CURLOPT_REDIR_PROTOCOLS_STR, url.lowercased().hasPrefix("https:") ? "https" : "http,https")
    }

    private func setTLS(_ settings: CurlSettings) {
        if let file = settings.caFile { set(CURLOPT_CAINFO, file) }
        if let pem = settings.caPEM {
            // Only these authorities, as kubectl trusts only a kubeconfig's CA: without clearing
            // the system bundle and directory libcurl would trust them too, and read and parse the
            // whole bundle at the first handshake of every process.
            setBlob(CURLOPT_CAINFO_BLOB, pem)
            _ = sluice_curl_setopt_pointer(pointer, CURLOPT_CAINFO, nil)
            _ = sluice_curl_setopt_pointer(pointer, CURLOPT_CAPATH, nil)
        }
        if settings.insecureSkipVerify {
            set(CURLOPT_SSL_VERIFYPEER, 0)
            set(CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let certificate = settings.clientCertificatePEM, let key = settings.clientKeyPEM {
            set(CURLOPT_SSLCERTTYPE, "PEM")
            setBlob(CURLOPT_SSLCERT_BLOB, certificate)
            set(CURLOPT_SSLKEYTYPE, "PEM")
            setBlob(CURLOPT_SSLKEY_BLOB, key)
        }
    }

    private func setMethod(_ method: String, body: [UInt8]?) {
        switch method {
        case "GET": break
        case "POST": set(CURLOPT_POST, 1)
        default: set(CURLOPT_CUSTOMREQUEST, method)
        }
        guard let body else { return }
        if method != "POST" { set(CURLOPT_POST, 1) }
        _ = sluice_curl_setopt_off(pointer, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
        body.withUnsafeBytes { raw in
            // libcurl copies the body; an empty one still needs a non-null pointer.
            _ = sluice_curl_setopt_pointer(pointer, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)))
        }
        if method != "POST" { set(CURLOPT_CUSTOMREQUEST, method) }
    }

    // MARK: After the transfer

    /// The protocol the response came over: "1.1", "2" or "3".
    var httpVersion: String? {
        var version = 0
        guard sluice_curl_getinfo_long(pointer, CURLINFO_HTTP_VERSION, &version) == CURLE_OK else { return nil }
        return version == Int(CURL_HTTP_VERSION_2_0) ? "2" : version == Int(CURL_HTTP_VERSION_3) ? "3" : "1.1"
    }

    /// The leaf certificate's `Subject` and `Issuer`, as libcurl reports them (with CERTINFO set).
    var certificateSubjectAndIssuer: (subject: String?, issuer: String?) {
        var info: UnsafeMutablePointer<curl_certinfo>?
        guard sluice_curl_getinfo_certinfo(pointer, &info) == CURLE_OK, let info, info.pointee.num_of_certs > 0,
            var item = info.pointee.certinfo?[0]
        else { return (nil, nil) }
        var subject: String?
        var issuer: String?
        while true {
            if let data = item.pointee.data {
                let line = String(cString: data)
                if line.hasPrefix("Subject:") { subject = String(line.dropFirst("Subject:".count)) }
                if line.hasPrefix("Issuer:") { issuer = String(line.dropFirst("Issuer:".count)) }
            }
            guard let next = item.pointee.next else { break }
            item = next
        }
        return (subject, issuer)
    }

    /// The failure a result code stands for, read now from this handle's error buffer.
    func error(_ code: CURLcode) -> CurlError {
        CurlError(code: code, detail: String(cString: errorBuffer), url: url, secrets: secrets)
    }
}
