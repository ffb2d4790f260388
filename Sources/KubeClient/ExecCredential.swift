import Foundation
import KubeModel

/// What an exec credential plugin returned: the `status` of the `ExecCredential` object it
/// printed (`client.authentication.k8s.io/v1` or `v1beta1`).
///
/// Prints which parts are present and the expiry, never the token or key.
public struct ExecCredential: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The bearer token (`status.token`).
    public var token: String?
    /// A client certificate, PEM (`status.clientCertificateData`).
    public var clientCertificatePEM: String?
    /// The client certificate's key, PEM (`status.clientKeyData`).
    public var clientKeyPEM: String?
    /// When the credential stops being valid (`status.expirationTimestamp`); nil means it is
    /// used until the server rejects it.
    public var expiration: Date?

    /// Creates a credential.
    public init(token: String? = nil, clientCertificatePEM: String? = nil, clientKeyPEM: String? = nil, expiration: Date? = nil) {
        self.token = token
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.expiration = expiration
    }

    /// Whether the credential has expired at `date`.
    public func isExpired(at date: Date) -> Bool {
        guard let expiration else { return false }
        return date >= expiration
    }

    /// `ExecCredential(token, expires 2030-01-01T00:00:00Z)`.
    public var description: String {
        var parts: [String] = []
        if token != nil { parts.append("token") }
        if clientCertificatePEM != nil { parts.append("client certificate") }
        if let expiration { parts.append("expires \(expiration.formatted(.iso8601))") }
        return "ExecCredential(\(parts.joined(separator: ", ")))"
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["summary": description]) }

    /// Reads a plugin's standard output, as client-go does: the `apiVersion` must be the one
    /// configured, `status` must be present with a token or a certificate and key pair.
    ///
    /// - Parameter origin: names the plugin in error messages, which never quote the output.
    static func parse(_ output: [UInt8], apiVersion: String, origin: String) throws(KubeConfigError) -> ExecCredential {
        func failure(_ problem: String) -> KubeConfigError { KubeConfigError(.exec, "\(origin): \(problem)") }
        let document: JSONValue
        do {
            document = try JSONValue.parse(output)
        } catch {
            throw failure("the plugin's output is not JSON (invalid at byte \(error.offset))")
        }
        guard document.objectValue != nil else { throw failure("the plugin printed a JSON \(document.typeName), not an ExecCredential object") }
        let returnedVersion = document["apiVersion"]?.stringValue ?? ""
        guard returnedVersion == apiVersion else {
            throw failure("the plugin is configured to use API version \(apiVersion), but returned version \"\(returnedVersion)\"")
        }
        if let kind = document["kind"]?.stringValue, kind != "ExecCredential" {
            throw failure("the plugin returned kind \"\(kind)\", not ExecCredential")
        }
        guard let status = document["status"], status.objectValue != nil else {
            throw failure("the plugin's ExecCredential has no status")
        }
        var credential = ExecCredential()
        credential.token = try nonEmptyString(status, "token", failure)
        credential.clientCertificatePEM = try nonEmptyString(status, "clientCertificateData", failure)
        credential.clientKeyPEM = try nonEmptyString(status, "clientKeyData", failure)
        if (credential.clientCertificatePEM == nil) != (credential.clientKeyPEM == nil) {
            throw failure("the plugin returned only one of status.clientCertificateData and status.clientKeyData, not both")
        }
        if credential.token == nil && credential.clientCertificatePEM == nil {
            throw failure("the plugin returned neither status.token nor a client certificate and key")
        }
        if let stamp = try nonEmptyString(status, "expirationTimestamp", failure) {
            guard let date = parseTimestamp(stamp) else {
                throw failure("status.expirationTimestamp \"\(stamp)\" is not an RFC 3339 time")
            }
            credential.expiration = date
        }
        return credential
    }

    private static func nonEmptyString(
        _ status: JSONValue, _ key: String, _ failure: (String) -> KubeConfigError
    ) throws(KubeConfigError) -> String? {
        guard let value = status[key], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw failure("status.\(key) is a \(value.typeName), not a string") }
        return text.isEmpty ? nil : text
    }

    /// An RFC 3339 time, with or without fractional seconds.
    static func parseTimestamp(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
