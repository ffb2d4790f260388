/// FNV-1a: a small hash that, unlike `Hasher`, is the same in every process, for names and
/// addresses derived from content (`pod-template-hash`, pod IPs, OpenAPI document hashes).
enum StableHash {
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }
}
