import CompressNIO
import NIOCore

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
