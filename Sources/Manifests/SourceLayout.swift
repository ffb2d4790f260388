/// What to load from an application's tree: manifest files read one by one, and directories
/// rendered with Kustomize or Helm instead.
enum LoadUnit: Equatable {
    /// A `*.yaml`, `*.yml` or `*.json` file, by its relative path.
    case file(String)
    /// A directory with a kustomization file, rendered as a whole; `file` is the kustomization file.
    case kustomization(directory: String, file: String)
    /// A directory with a `Chart.yaml`, rendered with `helm template`; `file` is the `Chart.yaml`.
    /// With Helm off, the chart is refused as a whole instead of its templates read as YAML.
    case helmChart(directory: String, file: String)

    /// The path the unit is sorted and reported by.
    var path: String {
        switch self {
        case .file(let path): return path
        case .kustomization(_, let file), .helmChart(_, let file): return file
        }
    }
}

/// Decides, from the relative paths of an application's files, what to load and in which order.
enum SourceLayout {
    /// The names that make a directory a Kustomize directory, in the order Kustomize prefers them.
    static let kustomizationNames = ["kustomization.yaml", "kustomization.yml", "Kustomization"]

    /// The names that make a directory a Helm chart.
    static let chartNames = ["Chart.yaml"]

    /// The units to load, sorted by path in byte order. Hidden files and directories (a name starting
    /// with `.`, such as `.github`) are not read. A directory with a kustomization file or a
    /// `Chart.yaml` is one unit, and nothing under it is read file by file (its subdirectories belong
    /// to the Kustomization or the chart: bases, subcharts under `charts/`). A directory with both is
    /// a Kustomization, as Argo CD decides.
    static func units(paths: [String]) -> [LoadUnit] {
        let visible = paths.filter { path in !path.split(separator: "/").contains { $0.hasPrefix(".") } }
        var kustomizations: [String: String] = [:]
        for path in visible {
            let (directory, name) = split(path)
            guard let rank = kustomizationNames.firstIndex(of: name) else { continue }
            if let existing = kustomizations[directory], let existingRank = kustomizationNames.firstIndex(of: split(existing).name),
                existingRank <= rank
            {
                continue
            }
            kustomizations[directory] = path
        }
        var roots: [String: LoadUnit] = [:]
        for (directory, file) in kustomizations { roots[directory] = .kustomization(directory: directory, file: file) }
        for path in visible {
            let (directory, name) = split(path)
            if chartNames.contains(name), roots[directory] == nil { roots[directory] = .helmChart(directory: directory, file: path) }
        }
        // Only the outermost rendered directories: inner ones are bases or subcharts an outer one uses.
        let outermost = roots.filter { directory, _ in
            !roots.keys.contains { other in other != directory && isInside(directory, other) }
        }
        var units: [LoadUnit] = Array(outermost.values)
        for path in visible where isManifestFile(path) {
            let (directory, _) = split(path)
            if outermost.keys.contains(where: { isInside(directory, $0) || directory == $0 }) { continue }
            units.append(.file(path))
        }
        return units.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }

    /// True for the file names Sluice reads as manifests.
    static func isManifestFile(_ path: String) -> Bool {
        path.hasSuffix(".yaml") || path.hasSuffix(".yml") || path.hasSuffix(".json")
    }

    /// The directory part (empty at the root) and the name of a relative path.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }

    /// True when `directory` is strictly inside `ancestor` (every directory is inside the root, "").
    static func isInside(_ directory: String, _ ancestor: String) -> Bool {
        if ancestor.isEmpty { return !directory.isEmpty }
        return directory.hasPrefix(ancestor + "/")
    }
}
