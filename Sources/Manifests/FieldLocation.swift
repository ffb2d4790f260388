/// A path to a field inside a document, written the way error messages show it:
/// `spec.containers[0].image`, with keys that contain dots or slashes in brackets
/// (`metadata.annotations[argocd.argoproj.io/hook]`).
struct FieldLocation: Sendable, Hashable, CustomStringConvertible {
    enum Step: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    var steps: [Step]

    init(_ steps: [Step] = []) {
        self.steps = steps
    }

    init(_ first: String, _ rest: String...) {
        self.steps = ([first] + rest).map(Step.key)
    }

    /// This path with `step` in front, as errors gather their path while unwinding.
    func prefixed(by step: Step) -> FieldLocation {
        FieldLocation([step] + steps)
    }

    /// This path followed by `other`.
    func appending(_ other: FieldLocation) -> FieldLocation {
        FieldLocation(steps + other.steps)
    }

    var description: String {
        var text = ""
        for step in steps {
            switch step {
            case .index(let position):
                text += "[\(position)]"
            case .key(let key):
                if key.isEmpty || key.contains(where: { $0 == "." || $0 == "/" || $0 == "[" || $0 == " " }) {
                    text += "[\(key)]"
                } else {
                    text += text.isEmpty ? key : "." + key
                }
            }
        }
        return text
    }
}
