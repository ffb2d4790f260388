import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The cluster's TLS identity and client token, kept in the data directory so that a restarted
/// cluster keeps the CA that kubeconfig files already trust.
///
/// Files: `ca.crt`, `ca.key`, `server.crt`, `server.key` (P-256), `token` (mode 0600).
struct ClusterCredentials: Sendable {
    var caCertificatePEM: String
    var serverCertificatePEM: String
    var serverKeyPEM: String
    var token: String

    /// Loads the credentials in `directory`, or makes and saves new ones. The server certificate is
    /// issued anew when it does not cover `hosts`.
    static func loadOrCreate(in directory: URL, hosts: [String]) throws -> ClusterCredentials {
        let manager = FileManager.default
        try manager.createDirectory(at: directory, withIntermediateDirectories: true)
        func path(_ name: String) -> URL { directory.appendingPathComponent(name) }
        func read(_ name: String) -> String? { try? String(contentsOf: path(name), encoding: .utf8) }
        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: path(name), options: .atomic)
            try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path(name).path)
        }

        let caKey: P256.Signing.PrivateKey
        let caCertificate: Certificate
        if let keyText = read("ca.key"), let certificateText = read("ca.crt"),
            let key = try? P256.Signing.PrivateKey(pemRepresentation: keyText),
            let certificate = try? Certificate(pemEncoded: certificateText)
        {
            caKey = key
            caCertificate = certificate
        } else {
            caKey = P256.Signing.PrivateKey()
            caCertificate = try makeCA(key: caKey)
            try write("ca.key", caKey.pemRepresentation)
            try write("ca.crt", try caCertificate.serializeAsPEM().pemString)
        }

        let names = Set(hosts + ["127.0.0.1", "::1", "localhost"])
        var serverKeyPEM = read("server.key")
        var serverCertificatePEM = read("server.crt")
        let covered = serverCertificatePEM.flatMap { try? Certificate(pemEncoded: $0) }.map { certificate in
            let sans = (try? certificate.extensions.subjectAlternativeNames).flatMap { $0 }.map { Array($0) } ?? []
            return certificate.issuer == caCertificate.subject && names.allSatisfy { sans.contains(generalName(for: $0)) }
                && certificate.notValidAfter > Date().addingTimeInterval(86400)
        } ?? false
        if !covered || serverKeyPEM == nil {
            let key = P256.Signing.PrivateKey()
            let certificate = try makeServerCertificate(key: key, hosts: names.sorted(), caKey: caKey, caCertificate: caCertificate)
            serverKeyPEM = key.pemRepresentation
            serverCertificatePEM = try certificate.serializeAsPEM().pemString
            try write("server.key", serverKeyPEM ?? "")
            try write("server.crt", serverCertificatePEM ?? "")
        }

        var token = read("token")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if token.isEmpty {
            token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
            try write("token", token + "\n")
        }
        return ClusterCredentials(
            caCertificatePEM: try caCertificate.serializeAsPEM().pemString, serverCertificatePEM: serverCertificatePEM ?? "",
            serverKeyPEM: serverKeyPEM ?? "", token: token)
    }

    private static func generalName(for host: String) -> GeneralName {
        if let address = IPAddressBytes(host) { return .ipAddress(ASN1OctetString(contentBytes: address.bytes[...])) }
        return .dnsName(host)
    }

    private static func makeCA(key: P256.Signing.PrivateKey) throws -> Certificate {
        let name = try DistinguishedName { CommonName("sluice-local-cluster-ca") }
        let now = Date()
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key))
    }

    private static func makeServerCertificate(
        key: P256.Signing.PrivateKey, hosts: [String], caKey: P256.Signing.PrivateKey, caCertificate: Certificate
    ) throws -> Certificate {
        let now = Date()
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(2 * 365 * 86400),
            issuer: caCertificate.subject, subject: try DistinguishedName { CommonName("sluice-local-cluster") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(hosts.map(generalName(for:)))
            },
            issuerPrivateKey: .init(caKey))
    }

    /// The server's TLS configuration: HTTP/1.1 only, so clients never try HTTP/2.
    func serverTLSConfiguration() throws -> TLSConfiguration {
        let certificate = try NIOSSLCertificate(bytes: Array(serverCertificatePEM.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(serverKeyPEM.utf8), format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
        configuration.applicationProtocols = ["http/1.1"]
        // When the server closes a connection it sends close_notify and, by default, waits 5 s for
        // the client's. A client's idle pooled connection (libcurl's, kubectl's) never answers, so
        // every stop of an embedded cluster took 5 s; a real apiserver does not wait either.
        configuration.shutdownTimeout = .milliseconds(100)
        return configuration
    }

    /// A kubeconfig that reaches the cluster at `server` with this CA and token.
    func kubeconfig(server: String, name: String = "sluice-local") -> String {
        let ca = Data(caCertificatePEM.utf8).base64EncodedString()
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: \(name)
              cluster:
                server: \(server)
                certificate-authority-data: \(ca)
            users:
            - name: \(name)
              user:
                token: \(token)
            contexts:
            - name: \(name)
              context:
                cluster: \(name)
                user: \(name)
                namespace: default
            current-context: \(name)

            """
    }
}

/// The bytes of an IPv4 or IPv6 address in text form.
struct IPAddressBytes {
    var bytes: [UInt8]

    init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }
}
