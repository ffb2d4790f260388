/// Settings shared by every mirror.
public struct GitSourceOptions: Sendable {
    /// Hard deadline on every Git operation (listing, fetch), whatever the transport.
    public var operationTimeout: Duration = .seconds(60)
    /// Largest single file read from a commit.
    public var maxFileSize: Int = 8 << 20
    /// Largest total of files read from one commit under a path.
    public var maxTotalSize: Int = 128 << 20

    /// The defaults: 60 s per operation, 8 MiB per file, 128 MiB per tree.
    public init() {}
}
