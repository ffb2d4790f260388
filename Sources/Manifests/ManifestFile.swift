/// One file of an application's tree, as read from disk or from a commit.
public struct ManifestFile: Sendable, Hashable {
    /// The path relative to the application path, with `/` separators (`base/deployment.yaml`).
    public var path: String
    /// The file's contents.
    public var bytes: [UInt8]

    /// A file with byte contents.
    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }

    /// A file with text contents.
    public init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }
}
