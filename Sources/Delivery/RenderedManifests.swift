import Crypto
import Foundation
import Manifests

/// The manifests of rendered revisions (a Helm chart, a Kustomization) kept in memory, so that a
/// revision is rendered once per settings: the agent loads the last applied revision again as the
/// base of each sync and for each drift check, and `helm template` is the costly part of a load.
///
/// Keyed by the mirror, the revision, the path and every load setting (the cluster's version and
/// API versions included, so a cluster upgrade renders again); at most ``capacity`` entries, the
/// least recently used dropped first.
actor RenderedManifests {
    static let shared = RenderedManifests(capacity: 32)

    let capacity: Int
    private var entries: [String: ManifestSet] = [:]
    private var order: [String] = []

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The key of a load: a digest of everything that decides its result.
    static func key(mirror: String, revision: String, path: String, options: LoadOptions) -> String {
        let text = "\(mirror)\n\(revision)\n\(path)\n\(options)"
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    func manifests(for key: String) -> ManifestSet? {
        guard let found = entries[key] else { return nil }
        order.removeAll { $0 == key }
        order.append(key)
        return found
    }

    func keep(_ manifests: ManifestSet, for key: String) {
        if entries.updateValue(manifests, forKey: key) == nil {
            order.append(key)
        }
        while order.count > capacity {
            entries.removeValue(forKey: order.removeFirst())
        }
    }
}
