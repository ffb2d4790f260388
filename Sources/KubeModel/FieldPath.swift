/// One step of a path to a field, as server-side apply names it in `managedFields`.
///
/// In the FieldsV1 form every step is a key with a prefix: `f:` a member of a map, `k:` an element
/// of a list merged on key fields, `v:` an element of a set, `i:` an element by position.
public enum PathElement: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// A member of a map: `f:replicas`.
    case field(String)
    /// An element of a keyed list, named by its key fields: `k:{"name":"web"}`.
    case key([String: JSONValue])
    /// An element of a set list, named by its value: `v:"example.com/finalizer"`.
    case value(JSONValue)
    /// An element named by its position: `i:0`. Only read from FieldsV1; Sluice never writes it.
    case index(Int)

    /// A string literal is a field name, so paths read like `["spec", "replicas"]`.
    public init(stringLiteral value: String) {
        self = .field(value)
    }

    /// The key of this step in the FieldsV1 form: `f:name`, `k:{"name":"web"}` (compact JSON, keys
    /// sorted), `v:"value"`, `i:0`.
    public var fieldsV1Key: String {
        switch self {
        case .field(let name): return "f:" + name
        case .key(let fields): return "k:" + JSONValue.object(fields).serialized()
        case .value(let value): return "v:" + value.serialized()
        case .index(let position): return "i:" + String(position)
        }
    }

    /// Reads a FieldsV1 key; `nil` when the prefix is unknown or the JSON after it is malformed.
    public init?(fieldsV1Key: String) {
        let prefix = fieldsV1Key.prefix(2)
        let rest = String(fieldsV1Key.dropFirst(2))
        switch prefix {
        case "f:":
            self = .field(rest)
        case "k:":
            guard let parsed = try? JSONValue.parse(rest), let fields = parsed.objectValue, !fields.isEmpty else { return nil }
            self = .key(fields)
        case "v:":
            guard let parsed = try? JSONValue.parse(rest) else { return nil }
            self = .value(parsed)
        case "i:":
            guard let position = Int(rest), position >= 0 else { return nil }
            self = .index(position)
        default:
            return nil
        }
    }

    /// How Kubernetes prints the step in conflict messages: `.image`, `[name="web"]`,
    /// `[containerPort=80,protocol="TCP"]`, `[="value"]`, `[0]`.
    public var description: String {
        switch self {
        case .field(let name):
            return "." + name
        case .key(let fields):
            let parts = fields.keys.sorted().map { "\($0)=\(Self.printed(fields[$0] ?? .null))" }
            return "[" + parts.joined(separator: ",") + "]"
        case .value(let value):
            return "[=" + Self.printed(value) + "]"
        case .index(let position):
            return "[\(position)]"
        }
    }

    /// Fields sort before keys, keys before values, values before indexes; within a kind by name
    /// or by JSON text. This is the order structured-merge-diff iterates in.
    public static func < (lhs: PathElement, rhs: PathElement) -> Bool {
        if lhs.rank != rhs.rank { return lhs.rank < rhs.rank }
        switch (lhs, rhs) {
        case (.field(let left), .field(let right)): return left < right
        case (.index(let left), .index(let right)): return left < right
        default: return lhs.fieldsV1Key < rhs.fieldsV1Key
        }
    }

    private var rank: Int {
        switch self {
        case .field: return 0
        case .key: return 1
        case .value: return 2
        case .index: return 3
        }
    }

    private static func printed(_ value: JSONValue) -> String {
        // Go's `%q` for strings and plain numbers otherwise; JSON text matches both for the values keys hold.
        value.serialized()
    }
}

/// A path from an object's root to one of its fields, list elements included:
/// `["spec", "template", "spec", "containers", .key(["name": "web"]), "image"]`.
public struct FieldPath: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// The steps from the root.
    public var elements: [PathElement]

    /// A path of these steps.
    public init(_ elements: [PathElement]) {
        self.elements = elements
    }

    /// A path written as an array literal: `["spec", "replicas"]`.
    public init(arrayLiteral elements: PathElement...) {
        self.elements = elements
    }

    /// The object's root: the empty path.
    public static let root = FieldPath([])

    /// True for the root.
    public var isEmpty: Bool { elements.isEmpty }

    /// This path with one more step.
    public func appending(_ element: PathElement) -> FieldPath {
        FieldPath(elements + [element])
    }

    /// The path as Kubernetes prints it in conflicts: `.spec.template.spec.containers[name="web"].image`.
    public var description: String {
        elements.map(\.description).joined()
    }

    /// The order structured-merge-diff lists a set's paths in: at each level, the paths that end
    /// there come before the paths that go deeper, each group sorted by step.
    public static func < (lhs: FieldPath, rhs: FieldPath) -> Bool {
        let left = lhs.elements
        let right = rhs.elements
        var common = 0
        while common < left.count, common < right.count, left[common] == right[common] { common += 1 }
        if common == left.count || common == right.count { return left.count < right.count }
        let leftEnds = left.count == common + 1
        let rightEnds = right.count == common + 1
        if leftEnds != rightEnds { return leftEnds }
        return left[common] < right[common]
    }
}
