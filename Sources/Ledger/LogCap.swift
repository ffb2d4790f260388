/// Keeps the end of a hook log within a byte limit and notes what was cut.
enum LogCap {
    /// Appends `text` to `kept` and drops bytes from the front until at most `limit` remain,
    /// cutting on a character boundary. `dropped` counts every byte dropped so far.
    static func append(_ text: String, to kept: String, alreadyDropped: Int, limit: Int) -> (kept: String, dropped: Int) {
        var bytes = Array(kept.utf8)
        bytes.append(contentsOf: text.utf8)
        guard bytes.count > limit else { return (String(decoding: bytes, as: UTF8.self), alreadyDropped) }
        var cut = bytes.count - limit
        // Never start inside a multi-byte character: skip continuation bytes (10xxxxxx).
        while cut < bytes.count, bytes[cut] & 0xC0 == 0x80 { cut += 1 }
        return (String(decoding: bytes[cut...], as: UTF8.self), alreadyDropped + cut)
    }

    /// The log as shown: the kept text, after a note when its start was cut.
    static func render(kept: String, dropped: Int) -> String {
        guard dropped > 0 else { return kept }
        return "[sluice: \(dropped) earlier bytes of this log were truncated; the last \(kept.utf8.count) bytes follow]\n"
            + kept
    }
}
