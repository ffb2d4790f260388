import Foundation
import KubeModel

extension ClusterAPI {
    struct Selectors {
        var labels: LabelSelector
        var fields: FieldSelector?

        init(_ request: APIRequest) throws(APIStatus) {
            labels = try request.query["labelSelector"].map { (text) throws(APIStatus) in try LabelSelector(parsing: text) } ?? .everything
            fields = try request.query["fieldSelector"].flatMap { (text) throws(APIStatus) -> FieldSelector? in
                text.isEmpty ? nil : try FieldSelector(parsing: text)
            }
        }

        func matches(_ object: JSONValue) -> Bool {
            labels.matches(object.labels) && (fields?.matches(object) ?? true)
        }
    }

    func list(_ request: APIRequest, resource: ResourceType, namespace: String?) throws(APIStatus) -> APIResponse {
        let selectors = try Selectors(request)
        let (all, revision) = store.list(resource.groupResource, namespace: namespace)
        var items = all.filter(selectors.matches)
        var metadata: JSONValue = ["resourceVersion": .string(String(revision))]
        if let token = request.query["continue"], !token.isEmpty {
            guard let data = Data(base64Encoded: token), let after = String(data: data, encoding: .utf8) else {
                throw APIStatus.badRequest("continue key is not valid: illegal base64 data")
            }
            items = items.filter { "\($0.namespace ?? "")/\($0.name ?? "")" > after }
        }
        if let limit = request.query["limit"].flatMap(Int.init), limit > 0, items.count > limit {
            let remaining = items.count - limit
            items = Array(items.prefix(limit))
            if let last = items.last {
                metadata["continue"] = .string(Data("\(last.namespace ?? "")/\(last.name ?? "")".utf8).base64EncodedString())
                metadata["remainingItemCount"] = .int(Int64(remaining))
            }
        }
        items = items.map { present($0, resource: resource) }
        if let table = TableFormat(accept: request.accept, includeObject: request.query["includeObject"]) {
            return .json(table.table(for: items, resource: resource, metadata: metadata))
        }
        return .json([
            "kind": .string(resource.listKind), "apiVersion": .string(resource.apiVersion), "metadata": metadata,
            "items": .array(items),
        ])
    }

    func watch(_ request: APIRequest, resource: ResourceType, namespace: String?) throws(APIStatus) -> APIResponse {
        let selectors = try Selectors(request)
        let start: ObjectStore.WatchStart
        switch request.query["resourceVersion"] {
        case nil, "", "0": start = .withInitialState
        case let text?:
            guard let revision = Int64(text) else { throw APIStatus.badRequest("invalid resource version: \(text)") }
            start = .after(revision)
        }
        let initialEvents = request.flag("sendInitialEvents")
        let (events, cancel, initialCount, startRevision) = try store.watch(
            resource.groupResource, namespace: namespace, start: initialEvents ? .withInitialState : start)
        let table = TableFormat(accept: request.accept, includeObject: request.query["includeObject"])
        let timeout = request.query["timeoutSeconds"].flatMap(Int.init).map { Duration.seconds(max($0, 1)) } ?? .seconds(1800)
        let (output, continuation) = AsyncStream<[UInt8]>.makeStream()
        let producer = Task {
            var remainingInitial = initialCount
            func bookmark() -> [UInt8] {
                let object: JSONValue = [
                    "kind": .string(resource.kind), "apiVersion": .string(resource.apiVersion),
                    "metadata": ["resourceVersion": .string(String(startRevision)), "annotations": ["k8s.io/initial-events-end": "true"]],
                ]
                return Array((JSONValue.object(["type": "BOOKMARK", "object": object]).serialized() + "\n").utf8)
            }
            if initialEvents && remainingInitial == 0 { continuation.yield(bookmark()) }
            for await event in events {
                defer {
                    if initialEvents && remainingInitial > 0 {
                        remainingInitial -= 1
                        if remainingInitial == 0 { continuation.yield(bookmark()) }
                    }
                }
                let now = selectors.matches(event.object)
                let before = event.previous.map(selectors.matches) ?? false
                let type: String
                switch event.kind {
                case .added: type = now ? "ADDED" : ""
                case .modified: type = now ? (before ? "MODIFIED" : "ADDED") : (before ? "DELETED" : "")
                case .deleted: type = now || before ? "DELETED" : ""
                }
                if type.isEmpty { continue }
                var object = self.present(event.object, resource: resource)
                if let table { object = table.table(for: [object], resource: resource, metadata: ["resourceVersion": .string(object.resourceVersion ?? "")]) }
                let line = JSONValue.object(["type": .string(type), "object": object]).serialized() + "\n"
                if case .terminated = continuation.yield(Array(line.utf8)) { break }
            }
            continuation.finish()
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            cancel()
        }
        continuation.onTermination = { _ in
            producer.cancel()
            timer.cancel()
            cancel()
        }
        return APIResponse(status: 200, contentType: "application/json", body: .stream(output))
    }

    func log(_ request: APIRequest, resource: ResourceType, key: ObjectKey) async throws(APIStatus) -> APIResponse {
        guard let pod = store.get(resource.groupResource, key) else {
            throw APIStatus.notFound(resource.groupResource, name: key.name)
        }
        let containers = pod[path: ["spec", "containers"]]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        let container: String
        if let named = request.query["container"], !named.isEmpty {
            guard containers.contains(named) || (pod[path: ["spec", "initContainers"]]?.arrayValue?.contains { $0["name"]?.stringValue == named } ?? false) else {
                throw APIStatus.badRequest("container \(named) is not valid for pod \(key.name)")
            }
            container = named
        } else if containers.count == 1, let only = containers.first {
            container = only
        } else {
            throw APIStatus.badRequest("a container name must be specified for pod \(key.name), choose one of: [\(containers.joined(separator: " "))]")
        }
        let logKey = PodLogStore.Key(namespace: key.namespace, pod: key.name, uid: pod.uid ?? "", container: container)
        let tail = request.query["tailLines"].flatMap(Int.init)
        if request.flag("follow") {
            let stream = podLogs.follow(logKey, tailLines: tail, finished: { [store] in
                guard let current = store.get(resource.groupResource, key), current.uid == pod.uid else { return true }
                return PodStatusReader.containerTerminated(current, container: container)
            })
            return APIResponse(status: 200, contentType: "text/plain", body: .stream(stream))
        }
        return APIResponse(status: 200, contentType: "text/plain", body: .bytes(podLogs.read(logKey, tailLines: tail)))
    }
}
