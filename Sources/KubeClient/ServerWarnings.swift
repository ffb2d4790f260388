import Synchronization

/// The warnings an API server sends with its answers (`Warning: 299 - "text"` headers): deprecated
/// APIs, fields a write dropped. A caller that wants them collects them for the calls it makes:
///
///     let warnings = ServerWarnings()
///     _ = try await ServerWarnings.$current.withValue(warnings) { try await client.apply(object, dryRun: true) }
///     warnings.messages  // ["unknown field \"spec.replica\""]
public final class ServerWarnings: Sendable {
    /// Where the client's requests in this task put the warnings they receive.
    @TaskLocal public static var current: ServerWarnings?

    private let collected = Mutex<[String]>([])

    public init() {}

    /// The warnings received so far, each once, in order.
    public var messages: [String] { collected.withLock { $0 } }

    func add(_ messages: [String]) {
        guard !messages.isEmpty else { return }
        collected.withLock { list in
            for message in messages where !list.contains(message) { list.append(message) }
        }
    }

    /// The texts of a `Warning` header's values (RFC 7234: `code agent "text" ["date"]`),
    /// several combined with commas as HTTP combines repeated headers.
    static func parse(_ header: String) -> [String] {
        var messages: [String] = []
        var characters = header[...]
        while let quote = characters.firstIndex(of: "\"") {
            var text = ""
            var index = characters.index(after: quote)
            var closed = false
            while index < characters.endIndex {
                let character = characters[index]
                if character == "\\" {
                    index = characters.index(after: index)
                    if index < characters.endIndex { text.append(characters[index]) }
                } else if character == "\"" {
                    closed = true
                    break
                } else {
                    text.append(character)
                }
                if index < characters.endIndex { index = characters.index(after: index) }
            }
            guard closed else { break }
            messages.append(text)
            characters = characters[characters.index(after: index)...]
            // Skip an optional quoted date, then the comma before the next warning.
            if let next = characters.firstIndex(of: "\""), characters.firstIndex(of: ",").map({ next < $0 }) ?? true {
                guard let dateEnd = characters[characters.index(after: next)...].firstIndex(of: "\"") else { break }
                characters = characters[characters.index(after: dateEnd)...]
            }
        }
        return messages
    }
}
