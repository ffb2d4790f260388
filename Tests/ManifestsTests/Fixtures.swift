import Foundation
import KubeModel
import Manifests
import TestSupport

/// Small builders for the manifest trees the tests load.
enum Fixtures {
    /// Writes `files` (relative path → text) under `directory`, creating subdirectories.
    static func write(_ files: [String: String], in directory: TemporaryDirectory) throws {
        for (path, text) in files {
            let url = directory.appending(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
    }

    /// Writes `files` to a fresh temporary directory and loads it.
    static func load(_ files: [String: String], options: LoadOptions = LoadOptions()) throws -> ManifestSet {
        let directory = try TemporaryDirectory(label: "manifests")
        defer { directory.remove() }
        try write(files, in: directory)
        return try ManifestLoader.load(directory: directory.url, options: options)
    }

    /// The error a load of `files` from memory fails with, or `nil` when it succeeds.
    static func loadError(_ files: [String: String], options: LoadOptions = LoadOptions()) -> ManifestError? {
        do {
            _ = try ManifestLoader.load(files: files.map { ManifestFile(path: $0.key, text: $0.value) }, options: options)
            return nil
        } catch {
            return error
        }
    }

    /// A ConfigMap manifest.
    static func configMap(_ name: String, namespace: String? = nil, data: String = "value", annotations: [String: String] = [:]) -> String {
        var text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \(name)\n"
        if let namespace { text += "  namespace: \(namespace)\n" }
        if !annotations.isEmpty {
            text += "  annotations:\n"
            for key in annotations.keys.sorted() { text += "    \(key): \"\(annotations[key] ?? "")\"\n" }
        }
        return text + "data:\n  key: \(data)\n"
    }
}

extension ManifestSet {
    /// The objects' names in load order.
    var names: [String] { manifests.map(\.identity.name) }
}
