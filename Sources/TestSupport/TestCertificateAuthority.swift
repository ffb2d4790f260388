import Foundation

/// A throw-away certificate authority made with the `openssl` CLI (EC P-256 keys), and the
/// server certificates it issues. Clients that should trust servers get ``certificatePath``
/// (e.g. as `GIT_SSL_CAINFO`); clients that should not, don't.
public final class TestCertificateAuthority: @unchecked Sendable {
    /// A certificate and its private key, both PEM files.
    public struct ServerCertificate: Sendable, Hashable {
        /// The server's certificate (PEM).
        public var certificatePath: URL
        /// The server's private key (PEM, unencrypted).
        public var privateKeyPath: URL
    }

    /// The CA's certificate (PEM): the trust anchor to give clients.
    public let certificatePath: URL
    /// The CA's private key (PEM).
    public let privateKeyPath: URL
    private let directory: TemporaryDirectory
    private let lock = NSLock()
    private var issued = 0

    /// Generates a new CA named `commonName` in a temporary directory removed with this object.
    public init(commonName: String = "Sluice Test CA") throws {
        directory = try TemporaryDirectory(label: "ca")
        certificatePath = directory.appending("ca.pem")
        privateKeyPath = directory.appending("ca.key")
        try ProcessRunner.run(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", privateKeyPath.path, "-out", certificatePath.path,
                "-days", "3650", "-subj", "/CN=\(commonName)",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ], check: true)
    }

    /// Issues a server certificate for `hosts` (IP addresses and DNS names, all put in the
    /// subject alternative names; the first is the common name).
    public func issueServerCertificate(hosts: [String] = ["127.0.0.1", "localhost"]) throws
        -> ServerCertificate
    {
        let number = nextNumber()
        let key = directory.appending("server-\(number).key")
        let request = directory.appending("server-\(number).csr")
        let certificate = directory.appending("server-\(number).pem")
        let extensions = directory.appending("server-\(number).ext")
        let names = hosts.map { host in
            host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" } ? "IP:\(host)" : "DNS:\(host)"
        }
        let extensionText = """
            subjectAltName=\(names.joined(separator: ","))
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature,keyEncipherment
            extendedKeyUsage=serverAuth

            """
        try Data(extensionText.utf8).write(to: extensions)
        try ProcessRunner.run(
            "openssl",
            [
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", key.path, "-out", request.path,
                "-subj", "/CN=\(hosts.first ?? "127.0.0.1")",
            ], check: true)
        try ProcessRunner.run(
            "openssl",
            [
                "x509", "-req", "-in", request.path, "-CA", certificatePath.path,
                "-CAkey", privateKeyPath.path, "-set_serial", String(1000 + number),
                "-days", "825", "-out", certificate.path, "-extfile", extensions.path,
            ], check: true)
        return ServerCertificate(certificatePath: certificate, privateKeyPath: key)
    }

    /// The CA certificate's PEM text.
    public func certificatePEM() throws -> String {
        try String(contentsOf: certificatePath, encoding: .utf8)
    }

    private func nextNumber() -> Int {
        lock.lock()
        defer { lock.unlock() }
        issued += 1
        return issued
    }
}
