/// A set of field paths: the fields one manager owns, the fields a configuration sets, or the
/// fields a write changed.
///
/// A path in the set is owned as a whole: a leaf value, a list element (`k:`/`v:`), an atomic list
/// or map, an empty map. A map the set only passes through is not itself a member; in FieldsV1 a
/// node that is both a member and has members below it carries a `"."` entry.
public struct FieldSet: Sendable, Hashable, Sequence, CustomStringConvertible {
    /// The paths, in no order; ``sorted`` gives them in Kubernetes' order.
    public private(set) var paths: Set<FieldPath>

    /// The empty set.
    public init() {
        paths = []
    }

    /// A set of these paths. The root path is never a member and is left out.
    public init(_ paths: some Sequence<FieldPath>) {
        self.paths = Set(paths.lazy.filter { !$0.isEmpty })
    }

    /// True when no field is in the set.
    public var isEmpty: Bool { paths.isEmpty }

    /// The number of paths.
    public var count: Int { paths.count }

    /// The paths in the order structured-merge-diff lists them.
    public var sorted: [FieldPath] { paths.sorted() }

    /// Iterates the paths in no particular order.
    public func makeIterator() -> Set<FieldPath>.Iterator { paths.makeIterator() }

    /// Whether `path` itself is a member.
    public func contains(_ path: FieldPath) -> Bool { paths.contains(path) }

    /// Adds `path` (the root is ignored).
    public mutating func insert(_ path: FieldPath) {
        if !path.isEmpty { paths.insert(path) }
    }

    /// The paths in either set.
    public func union(_ other: FieldSet) -> FieldSet {
        var result = self
        result.paths.formUnion(other.paths)
        return result
    }

    /// The paths in this set and not in `other`.
    public func subtracting(_ other: FieldSet) -> FieldSet {
        var result = self
        result.paths.subtract(other.paths)
        return result
    }

    /// The paths in both sets.
    public func intersection(_ other: FieldSet) -> FieldSet {
        var result = self
        result.paths.formIntersection(other.paths)
        return result
    }

    /// The paths for which `isIncluded` is true.
    public func filter(_ isIncluded: (FieldPath) -> Bool) -> FieldSet {
        var result = FieldSet()
        result.paths = paths.filter(isIncluded)
        return result
    }

    /// One path per line, in ``sorted`` order.
    public var description: String {
        sorted.map(\.description).joined(separator: "\n")
    }

    /// The members plus every map field that leads to a member, as structured-merge-diff's
    /// `EnsureNamedFieldsAreMembers` does: removing `spec.strategy` is only safe when nobody owns
    /// anything under it. Keyed list elements are not added; an element is owned only through `"."`.
    var withEnclosingFields: Set<FieldPath> {
        var result = paths
        for path in paths {
            for end in stride(from: path.elements.count - 1, to: 0, by: -1) {
                guard case .field = path.elements[end - 1] else { continue }
                if !result.insert(FieldPath(Array(path.elements[0..<end]))).inserted { break }
            }
        }
        return result
    }

    /// Every proper prefix of a member: the places below which something in the set lives.
    var enclosingPaths: Set<FieldPath> {
        var result: Set<FieldPath> = []
        for path in paths {
            for end in stride(from: path.elements.count - 1, through: 1, by: -1) {
                if !result.insert(FieldPath(Array(path.elements[0..<end]))).inserted { break }
            }
        }
        return result
    }
}

extension FieldSet {
    /// Reads the FieldsV1 form of `metadata.managedFields[].fieldsV1`:
    /// `{"f:metadata":{"f:labels":{"f:app":{}}}}`. An empty object below a key makes that path a
    /// member; a `"."` entry makes the enclosing path a member.
    ///
    /// Throws a 400 `BadRequest` when a key has an unknown prefix or a value is not an object.
    public init(fieldsV1: JSONValue) throws(APIStatus) {
        self.init()
        try Self.read(fieldsV1, below: .root, into: &paths)
    }

    private static func read(_ node: JSONValue, below prefix: FieldPath, into paths: inout Set<FieldPath>) throws(APIStatus) {
        guard let members = node.objectValue else {
            throw APIStatus.badRequest("error decoding managed fields: FieldsV1 at \(prefix) is a \(node.typeName), not an object")
        }
        for (key, child) in members {
            if key == "." {
                if !prefix.isEmpty { paths.insert(prefix) }
                continue
            }
            guard let element = PathElement(fieldsV1Key: key) else {
                throw APIStatus.badRequest("error decoding managed fields: unknown FieldsV1 key \(JSONValue.string(key)) at \(prefix)")
            }
            let path = prefix.appending(element)
            if child.objectValue?.isEmpty == true {
                paths.insert(path)
            } else {
                try read(child, below: path, into: &paths)
            }
        }
    }

    /// The FieldsV1 form: a tree of prefixed keys, `{}` at members without members below them and
    /// `".": {}` at members that have some. Serializing it sorts the keys, which puts `"."` first.
    public var fieldsV1: JSONValue {
        var root = JSONValue.emptyObject
        let keyed = paths.map { path in path.elements.map(\.fieldsV1Key) }
        for keys in keyed where root[path: keys] == nil {
            root[path: keys] = .emptyObject
        }
        for keys in keyed where root[path: keys]?.objectValue?.isEmpty == false {
            root[path: keys + ["."]] = .emptyObject
        }
        return root
    }
}
