import Foundation
import GitSource
import KubeModel
import Logging

/// A swift-log handler writing one JSON object per line to standard error (`--log-format json`):
/// `time`, `level`, `logger`, `message`, and the metadata (`app`, `revision`, `phase`, ...) as fields.
///
/// Credentials in URLs (`https://user:token@host/...`) are removed from every value before it is written.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let write: @Sendable (String) -> Void

    /// A handler for `label` writing to standard error.
    public init(label: String) {
        self.label = label
        self.write = { line in FileHandle.standardError.write(Data(line.utf8)) }
    }

    /// A handler writing its lines to `write` (tests).
    public init(label: String, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String, file: String,
        function: String, line: UInt
    ) {
        var fields: [String: JSONValue] = [
            "time": .string(Self.timestamp()),
            "level": .string(level.rawValue),
            "logger": .string(label),
            "message": .string(RepositoryURL.redact(message.description)),
        ]
        for (key, value) in metadata.merging(explicit ?? [:], uniquingKeysWith: { $1 }) where fields[key] == nil {
            fields[key] = .string(RepositoryURL.redact("\(value)"))
        }
        write(JSONValue.object(fields).serialized() + "\n")
    }

    static func timestamp() -> String {
        Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }
}
