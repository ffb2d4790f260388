/// Limits and settings for loading an application's manifests.
public struct LoadOptions: Sendable {
    /// The largest file read, in bytes. Default 4 MiB.
    public var maxFileBytes: Int
    /// The most bytes read for one revision, files and Kustomize output together. Default 64 MiB.
    public var maxTotalBytes: Int
    /// The most nodes one document may produce by expanding YAML aliases (and merge keys). Stops
    /// "billion laughs" documents, whose few hundred bytes expand to billions of nodes. Default 100,000.
    public var maxAliasNodes: Int
    /// The deepest nesting of mappings and sequences in a document. Default 512, as the JSON parser.
    public var maxDepth: Int
    /// The namespace for namespaced objects that name none (`--namespace`); `nil` leaves it empty.
    /// Kinds known to be cluster-scoped (built-in ones, and custom resources whose
    /// CustomResourceDefinition in the same set says `scope: Cluster`) never get it.
    public var defaultNamespace: String?
    /// The command that renders a directory with a kustomization file; the directory is appended as
    /// the last argument. A first element without `/` is looked up on `PATH`. Default
    /// `kubectl kustomize`; `["kustomize", "build"]` works too.
    public var kustomizeCommand: [String]
    /// How long Kustomize may run for one directory before it is stopped. Default 2 minutes.
    public var kustomizeTimeout: Duration
    /// How a directory with a `Chart.yaml` is rendered (or, with `enabled` false, refused).
    public var helm: HelmSettings
    /// The cluster Helm renders for (`.Capabilities`); `nil` leaves Helm's defaults.
    public var helmCapabilities: HelmCapabilities?
    /// The Helm command; a first element without `/` is looked up on `PATH`. Default `helm`.
    public var helmCommand: [String]
    /// How long one Helm command may run before it is stopped. Default 2 minutes.
    public var helmTimeout: Duration
    /// Where Helm keeps its repositories and cache, and Sluice its cache of chart dependencies
    /// (the state directory's `helm`); `nil` uses a temporary directory per load.
    public var helmHome: String?

    /// Options with the given limits; every one has a default.
    public init(
        maxFileBytes: Int = 4 << 20,
        maxTotalBytes: Int = 64 << 20,
        maxAliasNodes: Int = 100_000,
        maxDepth: Int = 512,
        defaultNamespace: String? = nil,
        kustomizeCommand: [String] = ["kubectl", "kustomize"],
        kustomizeTimeout: Duration = .seconds(120)
    ) {
        self.maxFileBytes = maxFileBytes
        self.maxTotalBytes = maxTotalBytes
        self.maxAliasNodes = maxAliasNodes
        self.maxDepth = maxDepth
        self.defaultNamespace = defaultNamespace
        self.kustomizeCommand = kustomizeCommand
        self.kustomizeTimeout = kustomizeTimeout
        self.helm = HelmSettings()
        self.helmCapabilities = nil
        self.helmCommand = ["helm"]
        self.helmTimeout = .seconds(120)
        self.helmHome = nil
    }
}
