import Foundation

/// Loads an application's manifests from a directory or from files read at a commit.
///
/// Every `*.yaml`, `*.yml` and `*.json` file under the application path is read, recursively, in
/// byte order of the path; YAML files may hold several documents, empty documents are skipped, and
/// `List` objects are flattened into their items. A directory with a `kustomization.yaml` (or
/// `kustomization.yml`, `Kustomization`) is rendered with Kustomize instead, as a whole, and one with
/// a `Chart.yaml` with `helm template` (``LoadOptions/helm``). Hidden
/// files and directories (`.github`, ...) are not read.
///
/// Loading is all-or-nothing: when anything is wrong the result is a ``ManifestError`` with every
/// problem found, each naming its file, document and field. The same files always give the same
/// objects in the same order.
///
/// Loading blocks (file reads, and Kustomize when a kustomization is present): call it from a thread
/// that may block, not from the cooperative thread pool.
public enum ManifestLoader {
    /// Loads from files held in memory, as read from a commit.
    ///
    /// - Parameters:
    ///   - files: the files, with paths relative to the repository root (or to the application path
    ///     when `applicationPath` is empty).
    ///   - applicationPath: the application's directory within `files` (`overlays/prod`); only files
    ///     under it are loaded, and manifests name their files relative to it. The files outside it
    ///     are still there for Kustomize, so an overlay can use `../../base`.
    ///   - options: limits and settings.
    ///
    /// When a Kustomize directory is among the files, all of them are written to a temporary
    /// directory for Kustomize to read, and removed afterwards.
    public static func load(
        files: [ManifestFile], applicationPath: String = "", options: LoadOptions = LoadOptions()
    ) throws(ManifestError) -> ManifestSet {
        var session = LoadSession(options: options)
        let prefix = applicationPath.split(separator: "/").joined(separator: "/")
        var all: [ManifestFile] = []
        var byPath: [String: ManifestFile] = [:]
        for file in files {
            guard isSafeRelativePath(file.path) else {
                session.report(
                    ManifestError.Problem(.unreadable, file: file.path, message: "the path must be relative and stay inside the repository"))
                continue
            }
            all.append(file)
            if prefix.isEmpty {
                byPath[file.path] = file
            } else if file.path.hasPrefix(prefix + "/") {
                let relative = String(file.path.dropFirst(prefix.count + 1))
                byPath[relative] = ManifestFile(path: relative, bytes: file.bytes)
            }
        }
        var tree: MaterializedTree?
        defer { tree?.remove() }
        for unit in SourceLayout.units(paths: Array(byPath.keys)) {
            switch unit {
            case .file(let path):
                if let file = byPath[path] { session.load(file) }
            case .kustomization(let directory, let file), .helmChart(let directory, let file):
                let isChart = if case .helmChart = unit { true } else { false }
                if isChart, !options.helm.enabled {
                    session.refuseChart(label: file)
                    continue
                }
                if tree == nil {
                    do {
                        tree = try MaterializedTree(files: all)
                    } catch {
                        session.report(ManifestError.Problem(isChart ? .helmFailed : .kustomizeFailed, file: file, message: error.message))
                        continue
                    }
                }
                if let tree {
                    let path = [prefix, directory].filter { !$0.isEmpty }.joined(separator: "/")
                    if isChart {
                        session.renderHelm(directory: tree.url(for: path), chartPath: directory, label: file)
                    } else {
                        session.render(directory: tree.url(for: path), label: file)
                    }
                }
            }
        }
        return try session.finish()
    }

    /// Loads from a directory on disk. A path to a single file loads just that file. Symbolic links
    /// inside the directory are not followed (the path itself may be one).
    public static func load(directory: URL, options: LoadOptions = LoadOptions()) throws(ManifestError) -> ManifestSet {
        var session = LoadSession(options: options)
        let root = directory.standardizedFileURL
        switch FileTree.kind(of: root.path, followingLinks: true) {
        case .file:
            // The file's name is what problems and manifests show.
            let name = root.lastPathComponent
            if let bytes = FileTree.read(root.path, name: name, session: &session) {
                session.load(ManifestFile(path: name, bytes: bytes))
            }
            return try session.finish()
        case .directory:
            break
        case .missing, .other:
            throw ManifestError(ManifestError.Problem(.unreadable, file: root.path, message: "not a directory or a file"))
        }
        var copy: MaterializedTree?
        defer { copy?.remove() }
        let walk = FileTree.walk(root: root.path)
        for problem in walk.problems { session.report(problem) }
        for unit in SourceLayout.units(paths: walk.paths) {
            switch unit {
            case .file(let path):
                if let bytes = FileTree.read(root.path + "/" + path, name: path, session: &session) {
                    session.load(ManifestFile(path: path, bytes: bytes))
                }
            case .kustomization(let directory, let file):
                let url = directory.isEmpty ? root : root.appendingPathComponent(directory, isDirectory: true)
                session.render(directory: url, label: file)
            case .helmChart(let directory, let file):
                guard options.helm.enabled else {
                    session.refuseChart(label: file)
                    continue
                }
                // Helm writes into the chart (fetched dependencies, inline values): render a copy.
                if copy == nil {
                    do {
                        copy = try MaterializedTree(copying: root)
                    } catch {
                        session.report(ManifestError.Problem(.helmFailed, file: file, message: error.message))
                        continue
                    }
                }
                if let copy { session.renderHelm(directory: copy.url(for: directory), chartPath: directory, label: file) }
            }
        }
        return try session.finish()
    }

    /// True for a relative path that cannot leave the directory it is relative to.
    static func isSafeRelativePath(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/") && !path.split(separator: "/").contains("..") && !path.contains("\0")
    }
}
