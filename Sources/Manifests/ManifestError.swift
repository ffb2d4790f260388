/// Why a revision's manifests could not be loaded: every problem found, not just the first.
///
/// Loading is all-or-nothing: nothing from a revision is applied when any of its files fails, so
/// the error lists everything a person has to fix in one go, one problem per line, as
/// `FILE (document N): FIELD: MESSAGE`.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    /// The problems, in the order the files and documents were read.
    public var problems: [Problem]

    /// An error with these problems.
    public init(problems: [Problem]) {
        self.problems = problems
    }

    /// One problem with its place.
    public init(_ problem: Problem) {
        self.problems = [problem]
    }

    /// True when every problem is a chart repository that could not be reached: the revision may
    /// load when it can be, so a sync is not recorded as failed but tried again.
    public var isUnavailable: Bool {
        !problems.isEmpty && problems.allSatisfy { $0.code == .helmUnavailable }
    }

    /// The code of the first problem, for callers that branch on one code.
    public var code: Problem.Code {
        problems.first?.code ?? .invalidObject
    }

    /// One problem per line.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }

    /// One thing wrong with one file, document or field.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// What kind of problem this is.
        public var code: Code
        /// The file, relative to the application path (for Kustomize output: the kustomization file).
        public var file: String
        /// The 1-based position of the document in the file's YAML stream; `nil` for whole-file problems.
        public var document: Int?
        /// The field, as a dotted path (`metadata.name`, `spec.containers[0].image`); `nil` when the
        /// problem is not about one field.
        public var field: String?
        /// What is wrong and, where it helps, what to do.
        public var message: String

        /// A problem with its place; `document` and `field` are left out when unknown.
        public init(_ code: Code, file: String, document: Int? = nil, field: String? = nil, message: String) {
            self.code = code
            self.file = file
            self.document = document
            self.field = field
            self.message = message
        }

        /// `FILE (document N): FIELD: MESSAGE`, leaving out the parts that are unknown.
        public var description: String {
            var text = file.isEmpty ? "." : file
            if let document { text += " (document \(document))" }
            if let field, !field.isEmpty { text += ": " + field }
            return text + ": " + message
        }

        /// The kind of a problem. New codes may be added; compare with the static members.
        public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
            /// The code's name, e.g. `InvalidYAML`.
            public var rawValue: String
            /// A code by name.
            public init(rawValue: String) { self.rawValue = rawValue }
            /// The code's name.
            public var description: String { rawValue }

            /// The text is not valid YAML.
            public static let invalidYAML = Code(rawValue: "InvalidYAML")
            /// The text is not valid JSON.
            public static let invalidJSON = Code(rawValue: "InvalidJSON")
            /// A document is not a well-formed Kubernetes object (a field is missing or has the wrong type).
            public static let invalidObject = Code(rawValue: "InvalidObject")
            /// An annotation Sluice reads has a value it cannot use.
            public static let invalidAnnotation = Code(rawValue: "InvalidAnnotation")
            /// The same object (group, kind, namespace, name) appears twice.
            public static let duplicateObject = Code(rawValue: "DuplicateObject")
            /// A file, the whole revision, or the expansion of YAML aliases is over a limit.
            public static let limitExceeded = Code(rawValue: "LimitExceeded")
            /// Kustomize could not be run or failed.
            public static let kustomizeFailed = Code(rawValue: "KustomizeFailed")
            /// A file or directory could not be read.
            public static let unreadable = Code(rawValue: "Unreadable")
            /// Helm could not render a chart: a template error, a values file or chart dependency that
            /// does not exist. The revision needs a fix.
            public static let helmFailed = Code(rawValue: "HelmFailed")
            /// A chart repository a dependency comes from could not be reached (or Helm timed out):
            /// worth trying again.
            public static let helmUnavailable = Code(rawValue: "HelmUnavailable")
            /// The content is in a format Sluice does not render (Jsonnet, or a Helm chart with Helm off).
            public static let notRendered = Code(rawValue: "NotRendered")
        }
    }
}
