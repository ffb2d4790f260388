/// A kubeconfig as kubectl sees it: named clusters, users and contexts and the current context,
/// each remembering the file and list position that defined it so errors can point there.
///
/// One file is read with ``KubeConfig/parse(_:file:)``; several are combined with
/// ``KubeConfig/merge(_:)``. File paths inside are already absolute, resolved against the
/// directory of the file that defined them.
struct KubeConfig: Sendable {
    /// Where an entry was defined: a file and the entry's path in it, e.g. `clusters[2]`.
    struct Location: Sendable, Hashable {
        /// The kubeconfig file.
        var file: String
        /// The entry's path, e.g. `users[1]`.
        var path: String

        /// The path of a field below the entry, e.g. `users[1].user.token`.
        func field(_ subpath: String) -> String { "\(path).\(subpath)" }

        /// An error about `subpath` of this entry.
        func failure(_ code: KubeConfigError.Code, _ subpath: String, _ problem: String) -> KubeConfigError {
            KubeConfigError(code, file: file, field: field(subpath), problem)
        }
    }

    /// A `clusters[].cluster` entry.
    struct Cluster: Sendable {
        var name: String
        var location: Location
        var server: String?
        var certificateAuthority: String?
        /// Base64 text, decoded when the connection is built.
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify = false
        var tlsServerName: String?
        var proxyURL: String?
    }

    /// A `users[].user.exec` entry.
    struct Exec: Sendable {
        var apiVersion: String?
        var command: String?
        var args: [String] = []
        var env: [(name: String, value: String)] = []
        var installHint: String?
        var provideClusterInfo = false
        var interactiveMode: String?
    }

    /// A `users[].user` entry.
    struct User: Sendable {
        var name: String
        var location: Location
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var username: String?
        var password: String?
        var exec: Exec?
        var hasAuthProvider = false
    }

    /// A `contexts[].context` entry.
    struct Context: Sendable {
        var name: String
        var location: Location
        var cluster: String?
        var user: String?
        var namespace: String?
    }

    /// The current context's name and the file that set it.
    struct CurrentContext: Sendable {
        var name: String
        var file: String
    }

    /// Clusters by name.
    var clusters: [String: Cluster] = [:]
    /// Users by name.
    var users: [String: User] = [:]
    /// Contexts by name.
    var contexts: [String: Context] = [:]
    /// The `current-context` that wins, if any file set one.
    var currentContext: CurrentContext?
    /// The files read, in precedence order.
    var files: [String] = []

    /// True when no file defined anything (kubectl's "no configuration has been provided").
    var isEmpty: Bool {
        clusters.isEmpty && users.isEmpty && contexts.isEmpty && currentContext == nil
    }
}
