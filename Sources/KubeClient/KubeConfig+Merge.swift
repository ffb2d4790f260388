extension KubeConfig {
    /// Adds `later` (a file further down `$KUBECONFIG`) under this configuration, as kubectl
    /// merges: a cluster, user or context name already defined here keeps its earlier entry
    /// whole (entries are never merged field by field), and the first file to set
    /// `current-context` wins.
    mutating func merge(_ later: KubeConfig) {
        clusters.merge(later.clusters) { earlier, _ in earlier }
        users.merge(later.users) { earlier, _ in earlier }
        contexts.merge(later.contexts) { earlier, _ in earlier }
        if currentContext == nil { currentContext = later.currentContext }
        files += later.files
    }

    /// `configs` merged in order, the first taking precedence.
    static func merged(_ configs: [KubeConfig]) -> KubeConfig {
        var result = KubeConfig()
        for config in configs { result.merge(config) }
        return result
    }
}
