import Foundation

/// A name and e-mail address for a commit's author or committer.
public struct GitSignature: Sendable, Hashable {
    /// The person's name.
    public var name: String
    /// The person's e-mail address.
    public var email: String

    /// Creates a signature.
    public init(name: String, email: String) {
        self.name = name
        self.email = email
    }

    /// `Sluice Test <test@sluice.invalid>`.
    public static let test = GitSignature(name: "Sluice Test", email: "test@sluice.invalid")

    /// `Name <email>`.
    public var formatted: String { "\(name) <\(email)>" }

    /// The first commit time used when no date is given: 2024-01-01T00:00:00Z.
    public static let firstCommitDate = Date(timeIntervalSince1970: 1_704_067_200)

    /// `@SECONDS +0000`, the form git reads from `GIT_AUTHOR_DATE`.
    static func gitDate(_ date: Date) -> String {
        "@\(Int64(date.timeIntervalSince1970.rounded(.down))) +0000"
    }
}
