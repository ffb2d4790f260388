import Foundation

/// The file-system side of loading from a directory: listing and reading without following links.
enum FileTree {
    enum Kind {
        case file, directory, missing, other
    }

    /// What is at `path`; a final symbolic link is followed only when `followingLinks`.
    static func kind(of path: String, followingLinks: Bool = false) -> Kind {
        var info = stat()
        guard (followingLinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The relative paths of the regular files under `root` that loading may need: all of them,
    /// except that inside a directory with a kustomization file only that file is listed (Kustomize
    /// reads the rest itself). Hidden entries and symbolic links are left out.
    static func walk(root: String) -> (paths: [String], problems: [ManifestError.Problem]) {
        var paths: [String] = []
        var problems: [ManifestError.Problem] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let absolute = relative.isEmpty ? root : root + "/" + relative
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: absolute)
            } catch {
                problems.append(ManifestError.Problem(.unreadable, file: relative.isEmpty ? "." : relative, message: "cannot list the directory"))
                continue
            }
            let kustomizations = names.filter { SourceLayout.kustomizationNames.contains($0) }
            if !kustomizations.isEmpty {
                paths += kustomizations.map { relative.isEmpty ? $0 : relative + "/" + $0 }
                continue
            }
            for name in names where !name.hasPrefix(".") {
                let child = relative.isEmpty ? name : relative + "/" + name
                switch kind(of: root + "/" + child) {
                case .directory: pending.append(child)
                case .file: paths.append(child)
                case .missing, .other: continue
                }
            }
        }
        return (paths, problems)
    }

    /// The contents of the file at `path` (named `name` in problems), after checking its size;
    /// `nil` when it is over a limit or cannot be read (the problem is reported to `session`).
    static func read(_ path: String, name: String, session: inout LoadSession) -> [UInt8]? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            session.report(ManifestError.Problem(.unreadable, file: name, message: "cannot read the file"))
            return nil
        }
        let size = Int(info.st_size)
        if size > session.options.maxFileBytes {
            _ = session.admit(path: name, size: size)
            return nil
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            session.report(ManifestError.Problem(.unreadable, file: name, message: "cannot open the file"))
            return nil
        }
        defer { try? handle.close() }
        do {
            let data = try handle.read(upToCount: session.options.maxFileBytes + 1) ?? Data()
            return [UInt8](data)
        } catch {
            session.report(ManifestError.Problem(.unreadable, file: name, message: "cannot read the file: \(error.localizedDescription)"))
            return nil
        }
    }
}

/// In-memory files written to a temporary directory, for Kustomize to read.
struct MaterializedTree {
    struct Failure: Error {
        var message: String
    }

    let root: URL

    /// Writes `files` (paths already checked to stay inside) under a new temporary directory.
    init(files: [ManifestFile]) throws(Failure) {
        let manager = FileManager.default
        root = manager.temporaryDirectory.appendingPathComponent("sluice-manifests-\(UUID().uuidString)", isDirectory: true)
        do {
            try manager.createDirectory(at: root, withIntermediateDirectories: true)
            for file in files {
                let url = root.appendingPathComponent(file.path)
                try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.bytes).write(to: url)
            }
        } catch {
            try? manager.removeItem(at: root)
            throw Failure(message: "cannot write the files for rendering to \(root.path): \(error.localizedDescription)")
        }
    }

    /// A copy of the directory `source` (symbolic links copied as links) under a new temporary directory.
    init(copying source: URL) throws(Failure) {
        let manager = FileManager.default
        let parent = manager.temporaryDirectory.appendingPathComponent("sluice-manifests-\(UUID().uuidString)", isDirectory: true)
        root = parent.appendingPathComponent("root", isDirectory: true)
        do {
            try manager.createDirectory(at: parent, withIntermediateDirectories: true)
            try manager.copyItem(at: source, to: root)
        } catch {
            try? manager.removeItem(at: parent)
            throw Failure(message: "cannot copy \(source.lastPathComponent) for rendering: \(error.localizedDescription)")
        }
    }

    /// The directory for a relative path ("" is the root).
    func url(for directory: String) -> URL {
        directory.isEmpty ? root : root.appendingPathComponent(directory, isDirectory: true)
    }

    /// Removes the directory and everything in it (for a copy, the temporary directory holding it).
    func remove() {
        let parent = root.deletingLastPathComponent()
        try? FileManager.default.removeItem(at: parent.lastPathComponent.hasPrefix("sluice-manifests-") ? parent : root)
    }
}
