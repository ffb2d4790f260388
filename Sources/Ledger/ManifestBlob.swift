import KubeModel
import Crypto

/// Content addressing and compression of rendered manifests.
enum ManifestBlob {
    /// The SHA-256 of `bytes`, lower-case hex.
    static func digest(of bytes: [UInt8]) -> String {
        let hexDigits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// `bytes` compressed with zlib.
    static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        try Zlib.compress(bytes)
    }

    /// Decompresses a blob and checks it against its size and SHA-256.
    static func decompress(_ data: [UInt8], size: Int, digest: String, ledger path: String) throws -> [UInt8] {
        let corrupt = LedgerError(
            .corrupt, "the manifests \(digest) in the ledger \(path) are damaged; sync the revision from Git again")
        guard let bytes = Zlib.decompress(data, size: size), self.digest(of: bytes) == digest else { throw corrupt }
        return bytes
    }
}
