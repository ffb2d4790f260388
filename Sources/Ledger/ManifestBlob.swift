import CompressNIO
import Crypto
import NIOCore

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

/// zlib compression (CompressNIO), for what Sluice stores compressed: the ledger's manifests and
/// large inventories.
public enum Zlib {
    /// `bytes` compressed.
    public static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        let output = try input.compress(with: .zlib())
        return Array(output.readableBytesView)
    }

    /// `data` decompressed, or `nil` when it is damaged or does not decompress to `size` bytes
    /// (`size` 0: empty, whatever `data` holds).
    public static func decompress(_ data: [UInt8], size: Int) -> [UInt8]? {
        guard size > 0 else { return [] }
        var input = ByteBuffer(bytes: data)
        // A little slack: zlib wants room to see the end of the stream after the last byte.
        var output = ByteBufferAllocator().buffer(capacity: size + 64)
        do {
            try input.decompress(to: &output, with: .zlib())
        } catch {
            return nil
        }
        let bytes = Array(output.readableBytesView)
        return bytes.count == size ? bytes : nil
    }
}
