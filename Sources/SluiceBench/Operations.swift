import Foundation
import GitSource

/// One GitSource operation in its own process, so that its time and memory can be measured
/// exactly like the `git` command it is compared with.
enum Operation {
    static func run(_ arguments: [String]) async throws {
        if arguments.first == "load", arguments.count == 2 {
            try ManifestsBenchmark.load(arguments[1])
            return
        }
        if arguments.first == "apply" {
            guard arguments.count == 7 else { throw BenchError("usage: SluiceBench op apply SERVER CA_FILE TOKEN_FILE DIR NAMESPACE QPS") }
            try await ApplyBenchmark.applyDirectory(
                server: arguments[1], caFile: arguments[2], tokenFile: arguments[3], directory: arguments[4], namespace: arguments[5],
                qps: Double(arguments[6]) ?? 0)
            return
        }
        guard arguments.count == 3 else { throw BenchError("usage: SluiceBench op clone|fetch|check URL STATE_DIR") }
        let url = try RepositoryURL(arguments[1])
        var options = GitSourceOptions()
        options.operationTimeout = .seconds(600)
        let mirror = GitMirror(url: url, stateDirectory: arguments[2], options: options)
        switch arguments[0] {
        case "clone", "fetch":
            // Every branch and tag, like `git clone --mirror` and `git fetch` in a mirror.
            try await mirror.fetchAll()
            print(try await mirror.commit("refs/heads/main").id)
        case "check":
            print(try await mirror.resolveRemote(.branch("main")).revision)
        default:
            throw BenchError("unknown operation \(arguments[0])")
        }
    }
}
