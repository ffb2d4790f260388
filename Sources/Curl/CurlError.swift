import CLibCurl
import Foundation

/// A failure below HTTP: connecting, TLS, timeouts, cancellation. Built where libcurl reports
/// it; neither its message nor its URL ever carries credentials.
public struct CurlError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// TLS failed: the server's certificate was not trusted, or the handshake was refused.
        case tls
        /// No connection: the name did not resolve, the connection was refused, or it broke.
        case connect
        /// The transfer's time limit or deadline passed, or it stalled.
        case timeout
        /// Stopped by the caller (task cancellation, ``CurlRequest/shouldStop``).
        case cancelled
        case other
    }

    public var kind: Kind
    /// libcurl's explanation (its error buffer, or the result code's text).
    public var message: String
    /// The request's URL without user information.
    public var url: String
    /// For ``Kind/tls``: the server's certificate (or its pinned key) failed verification, as
    /// opposed to a handshake that failed otherwise.
    public var serverCertificateUntrusted: Bool
    /// libcurl's result code, for logs; 0 when libcurl did not report the failure.
    public var code: Int32

    public init(kind: Kind, message: String, url: String, serverCertificateUntrusted: Bool = false, code: Int32 = 0) {
        self.kind = kind
        self.message = message
        self.url = CurlURL.withoutCredentials(url)
        self.serverCertificateUntrusted = serverCertificateUntrusted
        self.code = code
    }

    public var description: String { "\(url): \(message)" }

    static func cancelled(_ url: String) -> CurlError {
        CurlError(kind: .cancelled, message: "cancelled", url: url)
    }

    /// Translates a failed transfer's result code; `detail` is the error buffer's text, if any.
    init(code: CURLcode, detail: String, url: String, secrets: [String]) {
        var message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        // A safety net: libcurl's messages name hosts, not user information. Short strings are
        // left alone so that a one-letter password cannot mangle every message.
        for secret in secrets where secret.count >= 4 {
            message = message.replacingOccurrences(of: secret, with: "***")
        }
        let untrusted = [CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH]
            .contains(code)
        self.init(kind: Self.kind(of: code, message: message), message: message, url: url,
                  serverCertificateUntrusted: untrusted, code: Int32(code.rawValue))
    }

    private static func kind(of code: CURLcode, message: String) -> Kind {
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR:
            return .connect
        case CURLE_OPERATION_TIMEDOUT: return .timeout
        case CURLE_ABORTED_BY_CALLBACK: return .cancelled
        case CURLE_SSL_CONNECT_ERROR:
            // A handshake cut off by a server going away is a connection failure, not distrust.
            let lowered = message.lowercased()
            let dropped = ["reset by peer", "connection", "eof", "syscall", "broken pipe"].contains { lowered.contains($0) }
            let refused = ["certificate", "alert", "verify", "unknown ca"].contains { lowered.contains($0) }
            return dropped && !refused ? .connect : .tls
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CIPHER,
             CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return .tls
        default: return .other
        }
    }
}

/// URLs as they may be shown.
public enum CurlURL {
    /// `url` with any `user:password@` removed.
    public static func withoutCredentials(_ url: String) -> String {
        guard var components = URLComponents(string: url) else {
            return url.contains("@") ? "<unprintable URL>" : url
        }
        guard components.user != nil || components.password != nil else { return url }
        components.user = nil
        components.password = nil
        return components.string ?? "<unprintable URL>"
    }

    /// What in `url`'s user information must not be shown: the password, or a user part with no
    /// password (often a token), decoded and as written.
    static func secrets(in url: String) -> [String] {
        guard let components = URLComponents(string: url) else { return [] }
        if components.password != nil {
            return [components.password, components.percentEncodedPassword].compactMap { $0 }
        }
        return [components.user, components.percentEncodedUser].compactMap { $0 }
    }
}
