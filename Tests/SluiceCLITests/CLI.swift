import Foundation
import TestSupport

/// Runs the built `sluice` binary the way a user would.
enum CLI {
    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)) async throws -> ProcessResult {
        try await SluiceCLI.locate().runAsync(arguments, environment: environment, timeout: timeout)
    }
}
