import Foundation
import KubeModel

/// One change seen by a watch.
public struct WatchEvent: Sendable {
    /// `ADDED`, `MODIFIED`, `DELETED` (and `BOOKMARK`, which watches started here never ask for).
    public var type: String
    public var object: JSONValue
}

extension KubeClient {
    /// Watches a kind (one namespace or all, optionally one object by `name`) from
    /// `resourceVersion`, as an async stream that survives the server ending the watch and
    /// connection failures: it resumes from the last resourceVersion seen, and when that has
    /// expired (410 Gone) starts over with the current state (ADDED events for what exists).
    /// Without a resourceVersion it starts with the current state. Cancelling the consuming task
    /// ends it.
    public func watch(
        _ gvk: GroupVersionKind, namespace: String? = nil, name: String? = nil, labelSelector: String? = nil, resourceVersion: String? = nil
    ) -> AsyncThrowingStream<WatchEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<WatchEvent, any Error>.makeStream()
        let task = Task {
            do {
                try await runWatch(gvk, namespace: namespace, name: name, labelSelector: labelSelector, from: resourceVersion, into: continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func runWatch(
        _ gvk: GroupVersionKind, namespace: String?, name: String?, labelSelector: String?, from start: String?,
        into continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation
    ) async throws {
        let mapping = try await mapping(for: gvk)
        let namespace = mapping.namespaced ? namespace : nil
        var base = mapping
        if namespace == nil { base.namespaced = false }
        var resourceVersion = start
        var delay = Duration.milliseconds(200)
        let object = Self.describe(mapping, namespace: namespace, name: name)
        while !Task.isCancelled {
            let url = path(base, namespace: namespace) + Self.query([
                ("watch", "true"), ("resourceVersion", resourceVersion), ("labelSelector", labelSelector),
                ("fieldSelector", name.map { "metadata.name=\($0)" }), ("timeoutSeconds", "300"), ("allowWatchBookmarks", "false"),
            ])
            let opened: Result<(HTTPResponse, AsyncThrowingStream<[UInt8], any Error>), KubeClientError>
            do {
                opened = .success(try await transport.stream(HTTPRequest(method: "GET", url: url, headers: [("Accept", "application/json")]), object: "watch of \(object)"))
            } catch {
                opened = .failure(error)
            }
            guard case .success(let (head, chunks)) = opened else {
                if case .failure(let error) = opened, !error.isTransient { throw error }
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
                continue
            }
            if head.status == 410 {
                resourceVersion = nil
                continue
            }
            guard head.status == 200 else {
                let error = KubeClientError.from(statusCode: head.status, body: head.body, object: "watch of \(object)")
                if error.isTransient {
                    try await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(10))
                    continue
                }
                throw error
            }
            delay = .milliseconds(200)
            var buffer: [UInt8] = []
            var expired = false
            do {
                for try await chunk in chunks {
                    buffer += chunk
                    while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = Array(buffer[..<newline])
                        buffer.removeSubrange(...newline)
                        guard !line.isEmpty, let event = try? JSONValue.parse(line), let type = event["type"]?.stringValue, let object = event["object"] else { continue }
                        if type == "ERROR" {
                            if object["code"]?.intValue == 410 { expired = true }
                            continue
                        }
                        if let version = object.resourceVersion { resourceVersion = version }
                        if type == "BOOKMARK" { continue }
                        continuation.yield(WatchEvent(type: type, object: object))
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                // The connection broke: resume from the last resourceVersion.
                try await Task.sleep(for: delay)
            }
            if expired { resourceVersion = nil }
        }
    }
}
