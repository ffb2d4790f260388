import Foundation
/// A parsed Kubernetes API path.
enum RequestPath: Equatable {
    case version
    case healthz
    case readyz
    case livez
    case coreVersions  // /api
    case groups  // /apis
    case group(String)  // /apis/GROUP
    case groupVersion(group: String, version: String)  // /api/v1, /apis/GROUP/VERSION
    case resource(ResourcePath)
    case openAPI
    case metrics  // /metrics
    case notFound

    /// A path into a resource: `/apis/G/V[/namespaces/NS]/PLURAL[/NAME[/SUBRESOURCE]]`.
    struct ResourcePath: Equatable {
        var group: String
        var version: String
        var namespace: String?
        var plural: String
        var name: String?
        var subresource: String?
    }

    init(_ path: String) {
        var segments = path.split(separator: "/", omittingEmptySubsequences: true).map { Self.unescape(String($0)) }
        if segments.last == "" { segments.removeLast() }
        switch segments.first {
        case "version" where segments.count == 1: self = .version
        case "healthz": self = .healthz
        case "readyz": self = .readyz
        case "livez": self = .livez
        case "openapi": self = .openAPI
        case "metrics" where segments.count == 1: self = .metrics
        case "api":
            if segments.count == 1 {
                self = .coreVersions
            } else if segments.count == 2 {
                self = .groupVersion(group: "", version: segments[1])
            } else {
                self = Self.resource(group: "", version: segments[1], rest: Array(segments.dropFirst(2)))
            }
        case "apis":
            switch segments.count {
            case 1: self = .groups
            case 2: self = .group(segments[1])
            case 3: self = .groupVersion(group: segments[1], version: segments[2])
            default: self = Self.resource(group: segments[1], version: segments[2], rest: Array(segments.dropFirst(3)))
            }
        default:
            self = .notFound
        }
    }

    private static func resource(group: String, version: String, rest: [String]) -> RequestPath {
        var rest = rest[...]
        var namespace: String?
        // `/namespaces/NS/PLURAL...` is a namespaced path; `/namespaces` and `/namespaces/NAME[/status]`
        // are the Namespace resource itself.
        if rest.first == "namespaces", rest.count >= 3, group.isEmpty || true {
            let candidate = rest[rest.startIndex + 2]
            if !(group.isEmpty && rest.count == 3 && (candidate == "status" || candidate == "finalize")) {
                namespace = rest[rest.startIndex + 1]
                rest = rest.dropFirst(2)
            }
        }
        guard let plural = rest.first else { return .notFound }
        rest = rest.dropFirst()
        let name = rest.first
        rest = rest.dropFirst()
        let subresource = rest.first
        rest = rest.dropFirst()
        guard rest.isEmpty else { return .notFound }
        return .resource(
            ResourcePath(group: group, version: version, namespace: namespace, plural: plural, name: name, subresource: subresource))
    }

    private static func unescape(_ text: String) -> String {
        text.removingPercentEncoding ?? text
    }
}
