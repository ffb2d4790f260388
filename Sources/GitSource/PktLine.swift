/// Git's pkt-line framing: four hex digits of length (including themselves), then the payload.
enum PktLine {
    static let flush: [UInt8] = Array("0000".utf8)
    static let delimiter: [UInt8] = Array("0001".utf8)

    static func encode(_ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        let length = String(payload.count + 4, radix: 16)
        return Array((String(repeating: "0", count: 4 - length.count) + length).utf8) + payload
    }

    /// Splits a response into packets; `nil` marks a flush or delimiter. Throws on bad framing.
    static func decode(_ bytes: [UInt8]) throws -> [[UInt8]?] {
        var packets: [[UInt8]?] = []
        var i = 0
        while i < bytes.count {
            guard i + 4 <= bytes.count, let length = Int(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
                throw GitSourceError(.protocolError, "malformed pkt-line in the server's answer")
            }
            if length < 4 {
                packets.append(nil)
                i += 4
                continue
            }
            guard i + length <= bytes.count else {
                throw GitSourceError(.protocolError, "truncated pkt-line in the server's answer")
            }
            packets.append(Array(bytes[i + 4..<i + length]))
            i += length
        }
        return packets
    }
}
