/// Settings shared by every mirror.
public struct GitSourceOptions: Sendable {
    /// Hard deadline on every Git operation (listing, fetch), whatever the transport.
    public var operationTimeout: Duration = .seconds(60)
    /// Largest single file read from a commit.
    public var maxFileSize: Int = 8 << 20
    /// Largest total of files read from one commit under a path.
    public var maxTotalSize: Int = 128 << 20
    /// Told how a fetch over the network advances (objects and bytes received), on the fetch's own
    /// thread and often: it must be quick. `nil` tells nothing.
    public var fetchProgress: (@Sendable (FetchProgress) -> Void)?

    /// The defaults: 60 s per operation, 8 MiB per file, 128 MiB per tree.
    public init() {}
}

/// How far a fetch has got: libgit2's transfer progress.
public struct FetchProgress: Sendable, Hashable {
    /// The repository fetched from (credentials stripped).
    public var url: String
    /// Objects the remote is sending in all; 0 until the pack's header has arrived.
    public var totalObjects: Int
    /// Objects received so far.
    public var receivedObjects: Int
    /// Objects indexed so far (received and checked).
    public var indexedObjects: Int
    /// Bytes received so far.
    public var receivedBytes: Int

    /// A progress report from its parts.
    public init(url: String, totalObjects: Int, receivedObjects: Int, indexedObjects: Int, receivedBytes: Int) {
        self.url = url
        self.totalObjects = totalObjects
        self.receivedObjects = receivedObjects
        self.indexedObjects = indexedObjects
        self.receivedBytes = receivedBytes
    }
}
