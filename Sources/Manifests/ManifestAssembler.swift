import KubeModel

/// Turns decoded documents into manifests: flattens `List`s, checks each object's required fields
/// and annotation values, reads its sync settings, works out its identity, and refuses duplicates.
struct ManifestAssembler {
    private struct Candidate {
        var object: JSONValue
        var file: String
        var document: Int
        /// Where the object sits in its document: empty, or `items[3]` inside a List.
        var location: FieldLocation
        var settings: SyncSettings
        var groupKind: GroupKind
        var name: String
    }

    let defaultNamespace: String?
    private(set) var problems: [ManifestError.Problem] = []
    private var candidates: [Candidate] = []

    init(defaultNamespace: String?) {
        self.defaultNamespace = defaultNamespace
    }

    /// Checks one document, flattening a `List` into its items.
    mutating func add(_ document: DecodedDocument) {
        add(document.value, file: document.file, document: document.document, location: FieldLocation())
    }

    private mutating func add(_ value: JSONValue, file: String, document: Int, location: FieldLocation) {
        guard value.objectValue != nil else {
            report(.invalidObject, file, document, location, "a manifest must be a mapping (an object), not a \(value.typeName)")
            return
        }
        if let kind = value.kind, kind.hasSuffix("List"), let items = value["items"]?.arrayValue {
            for (position, item) in items.enumerated() {
                add(item, file: file, document: document, location: location.appending(FieldLocation([.key("items"), .index(position)])))
            }
            return
        }
        if let candidate = check(value, file: file, document: document, location: location) {
            candidates.append(candidate)
        }
    }

    /// The manifests, once every document has been added; `nil` when any problem was found.
    mutating func finish() -> [Manifest]? {
        let scope = NamespaceScope(objects: candidates.map(\.object))
        var manifests: [Manifest] = []
        manifests.reserveCapacity(candidates.count)
        var seen: [ObjectIdentity: Candidate] = [:]
        seen.reserveCapacity(candidates.count)
        for candidate in candidates {
            let namespace: String
            if scope.isClusterScoped(candidate.groupKind) {
                namespace = ""
            } else {
                namespace = candidate.object.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? defaultNamespace ?? ""
            }
            let identity = ObjectIdentity(
                group: candidate.groupKind.group, kind: candidate.groupKind.kind, namespace: namespace, name: candidate.name)
            if let first = seen[identity] {
                let message = identity.name.isEmpty
                    ? "another \(identity.kind) hook without a name or generateName in \(identity.namespace.isEmpty ? "the cluster scope" : "namespace " + identity.namespace) "
                        + "is defined in \(first.file) (document \(first.document)); both would be named after the revision, phase and sync start, so give one a name or a generateName"
                    : "\(identity) is already defined in \(first.file) (document \(first.document)); an object may appear only once"
                report(
                    .duplicateObject, candidate.file, candidate.document, candidate.location.appending(FieldLocation("metadata", "name")), message)
                continue
            }
            seen[identity] = candidate
            manifests.append(
                Manifest(
                    object: candidate.object, file: candidate.file, document: candidate.document, settings: candidate.settings,
                    identity: identity))
        }
        return problems.isEmpty ? manifests : nil
    }

    /// Records a problem found outside the assembler (reading, decoding, Kustomize).
    mutating func report(_ problem: ManifestError.Problem) {
        problems.append(problem)
    }

    private mutating func report(
        _ code: ManifestError.Problem.Code, _ file: String, _ document: Int, _ location: FieldLocation, _ message: String
    ) {
        let field = location.steps.isEmpty ? nil : location.description
        problems.append(ManifestError.Problem(code, file: file, document: document, field: field, message: message))
    }

    /// The object's checked parts, or `nil` after reporting every problem with it.
    private mutating func check(_ object: JSONValue, file: String, document: Int, location: FieldLocation) -> Candidate? {
        let before = problems.count
        func field(_ keys: String...) -> FieldLocation { location.appending(FieldLocation(keys.map(FieldLocation.Step.key))) }

        var groupVersion: GroupVersion?
        switch object["apiVersion"] {
        case nil, .null?: report(.invalidObject, file, document, field("apiVersion"), "missing")
        case .string(let text)?:
            groupVersion = GroupVersion(apiVersion: text)
            if groupVersion == nil { report(.invalidObject, file, document, field("apiVersion"), "\"\(text)\" is not an API version (v1, apps/v1)") }
        case let other?: report(.invalidObject, file, document, field("apiVersion"), "must be a string, not a \(other.typeName)")
        }
        var kind: String?
        switch object["kind"] {
        case nil, .null?: report(.invalidObject, file, document, field("kind"), "missing")
        case .string(let text)? where !text.isEmpty: kind = text
        case .string?: report(.invalidObject, file, document, field("kind"), "must not be empty")
        case let other?: report(.invalidObject, file, document, field("kind"), "must be a string, not a \(other.typeName)")
        }
        let metadata = object["metadata"] ?? .emptyObject
        guard metadata.objectValue != nil else {
            report(.invalidObject, file, document, field("metadata"), "must be a mapping, not a \(metadata.typeName)")
            return nil
        }
        let annotations = checkStringMap(metadata["annotations"], file, document, field("metadata", "annotations"))
        _ = checkStringMap(metadata["labels"], file, document, field("metadata", "labels"))
        var settings = SyncSettings()
        do {
            settings = try SyncSettings(annotations: annotations)
        } catch {
            report(.invalidAnnotation, file, document, field("metadata", "annotations", error.key), error.message)
        }
        if let namespace = metadata["namespace"], namespace.stringValue == nil, !namespace.isNull {
            report(.invalidObject, file, document, field("metadata", "namespace"), "must be a string, not a \(namespace.typeName)")
        }
        let name = checkedName(metadata, settings: settings, file: file, document: document, location: field("metadata"))
        guard problems.count == before, let groupVersion, let kind, let name else { return nil }
        return Candidate(
            object: object, file: file, document: document, location: location, settings: settings,
            groupKind: GroupKind(group: groupVersion.group, kind: kind), name: name)
    }

    /// `metadata.name`, or for a hook `metadata.generateName` or `""` (no name: Sluice derives one
    /// per sync, as Argo CD does), after reporting what is wrong with them.
    private mutating func checkedName(_ metadata: JSONValue, settings: SyncSettings, file: String, document: Int, location: FieldLocation) -> String? {
        let nameField = location.appending(FieldLocation("name"))
        switch metadata["name"] {
        case .string(let name)? where !name.isEmpty:
            return name
        case let value? where !value.isNull && value.stringValue == nil:
            report(.invalidObject, file, document, nameField, "must be a string, not a \(value.typeName)")
            return nil
        default:
            break
        }
        let generateName = metadata["generateName"]?.stringValue ?? ""
        guard settings.isHook else {
            let why = generateName.isEmpty ? "" : " (generateName is allowed only on hooks, whose names Sluice derives per sync)"
            report(.invalidObject, file, document, nameField, "missing\(why)")
            return nil
        }
        return generateName
    }

    /// The string members of a labels or annotations mapping, after reporting any that are not strings.
    private mutating func checkStringMap(_ value: JSONValue?, _ file: String, _ document: Int, _ location: FieldLocation) -> [String: String] {
        guard let value, !value.isNull else { return [:] }
        guard let members = value.objectValue else {
            report(.invalidObject, file, document, location, "must be a mapping of strings, not a \(value.typeName)")
            return [:]
        }
        var strings: [String: String] = [:]
        for key in members.keys.sorted() {
            guard let member = members[key] else { continue }
            if let text = member.stringValue {
                strings[key] = text
            } else {
                report(
                    .invalidObject, file, document, location.appending(FieldLocation(key)),
                    "must be a string, not a \(member.typeName) (quote it: \"\(member.serialized())\")")
            }
        }
        return strings
    }
}
