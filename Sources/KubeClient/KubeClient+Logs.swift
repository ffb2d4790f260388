import Foundation
import KubeModel

extension KubeClient {
    /// A pod's log (one container; the only one when `container` is nil).
    public func logs(namespace: String? = nil, pod: String, container: String? = nil, tailLines: Int? = nil, limitBytes: Int? = nil) async throws(KubeClientError) -> String {
        let namespace = namespace ?? defaultNamespace
        let url = Self.logPath(namespace: namespace, pod: pod) + Self.query([
            ("container", container), ("tailLines", tailLines.map(String.init)), ("limitBytes", limitBytes.map(String.init)),
        ])
        let object = Self.describePod(pod, namespace: namespace)
        let response = try await transport.send(
            HTTPRequest(method: "GET", url: url, headers: [("Accept", "*/*")], timeout: options.requestTimeout), idempotent: true, object: object)
        guard response.status == 200 else { throw KubeClientError.from(statusCode: response.status, body: response.body, object: object) }
        return String(decoding: response.body, as: UTF8.self)
    }

    /// A container's log as it is written (`kubectl logs -f`): what it printed so far, then each
    /// new piece, until the container ends (the server closes the stream) or the consuming task is
    /// cancelled. A container that has not started yet is refused by the server (400), as by
    /// kubectl; the caller tries again later.
    public func followLogs(namespace: String? = nil, pod: String, container: String? = nil) async throws(KubeClientError) -> AsyncThrowingStream<[UInt8], any Error> {
        let namespace = namespace ?? defaultNamespace
        let url = Self.logPath(namespace: namespace, pod: pod) + Self.query([("container", container), ("follow", "true")])
        let object = Self.describePod(pod, namespace: namespace)
        let (head, chunks) = try await transport.stream(HTTPRequest(method: "GET", url: url, headers: [("Accept", "*/*")]), object: "log of \(object)")
        guard head.status == 200 else { throw KubeClientError.from(statusCode: head.status, body: head.body, object: object) }
        return chunks
    }

    static func logPath(namespace: String, pod: String) -> String {
        "/api/v1/namespaces/\(escape(namespace))/pods/\(escape(pod))/log"
    }

    static func describePod(_ pod: String, namespace: String) -> String {
        "pods \"\(pod)\" in namespace \"\(namespace)\""
    }
}
