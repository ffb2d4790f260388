/// What an application's files are when none of them is a manifest Sluice loads: the formats it
/// does not render, named so that a sync that finds no objects says why instead of succeeding with
/// nothing applied.
public enum SourceFormats {
    /// Each path with what it is, at most `limit` of them: `Chart.yaml (a Helm chart that rendered
    /// no objects)` (with `helm` false: `(a Helm chart, not rendered)`), `app.jsonnet (Jsonnet, not
    /// rendered)`, `README.md`. Hidden files are left out.
    public static func describe(_ paths: [String], limit: Int = 8, helm: Bool = true) -> [String] {
        let visible = paths.filter { path in !path.split(separator: "/").contains { $0.hasPrefix(".") } }
        // The formats people most likely meant come first.
        let described = visible.map { path -> (rank: Int, text: String) in
            let name = path.split(separator: "/").last.map(String.init) ?? path
            if name == "Chart.yaml" { return (0, "\(path) (a Helm chart\(helm ? " that rendered no objects" : ", not rendered"))") }
            if name == "Chart.yml" { return (0, "\(path) (not a Helm chart: Helm reads only Chart.yaml)") }
            if name.hasSuffix(".jsonnet") || name.hasSuffix(".libsonnet") { return (1, "\(path) (Jsonnet, not rendered)") }
            if name.hasSuffix(".cue") { return (1, "\(path) (CUE, not rendered)") }
            if name.hasSuffix(".tf") { return (1, "\(path) (Terraform, not a Kubernetes manifest)") }
            return (2, path)
        }
        let sorted = described.sorted { ($0.rank, $0.text) < ($1.rank, $1.text) }.map(\.text)
        return Array(sorted.prefix(limit)) + (sorted.count > limit ? ["and \(sorted.count - limit) more"] : [])
    }

    /// What to do about a format Sluice does not render, when `paths` hold one: Jsonnet and CUE are
    /// rendered to YAML before they reach Git. `nil` when they hold none.
    public static func advice(_ paths: [String]) -> String? {
        let names = paths.compactMap { $0.split(separator: "/").last.map(String.init) }
        if names.contains(where: { $0.hasSuffix(".jsonnet") || $0.hasSuffix(".libsonnet") }) {
            return "Sluice does not render Jsonnet: render it to YAML in CI (jsonnet -y, or tanka) and commit the output"
        }
        if names.contains(where: { $0.hasSuffix(".cue") }) {
            return "Sluice does not render CUE: export it to YAML in CI (cue export --out yaml) and commit the output"
        }
        return nil
    }
}
