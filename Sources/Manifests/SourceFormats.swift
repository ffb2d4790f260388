/// What an application's files are when none of them is a manifest Sluice loads: the formats it
/// does not render, named so that a sync that finds no objects says why instead of succeeding with
/// nothing applied.
public enum SourceFormats {
    /// Each path with what it is, at most `limit` of them: `Chart.yaml (a Helm chart, not rendered)`,
    /// `app.jsonnet (Jsonnet, not rendered)`, `README.md`. Hidden files are left out.
    public static func describe(_ paths: [String], limit: Int = 8) -> [String] {
        let visible = paths.filter { path in !path.split(separator: "/").contains { $0.hasPrefix(".") } }
        // The formats people most likely meant come first.
        let described = visible.map { path -> (rank: Int, text: String) in
            let name = path.split(separator: "/").last.map(String.init) ?? path
            if name == "Chart.yaml" || name == "Chart.yml" { return (0, "\(path) (a Helm chart, not rendered)") }
            if name.hasSuffix(".jsonnet") || name.hasSuffix(".libsonnet") { return (1, "\(path) (Jsonnet, not rendered)") }
            if name.hasSuffix(".cue") { return (1, "\(path) (CUE, not rendered)") }
            if name.hasSuffix(".tf") { return (1, "\(path) (Terraform, not a Kubernetes manifest)") }
            return (2, path)
        }
        let sorted = described.sorted { ($0.rank, $0.text) < ($1.rank, $1.text) }.map(\.text)
        return Array(sorted.prefix(limit)) + (sorted.count > limit ? ["and \(sorted.count - limit) more"] : [])
    }
}
