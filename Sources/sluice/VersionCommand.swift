import ArgumentParser
import Curl
import GitSource

/// `sluice version`.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print Sluice's version and the libraries it runs on.")

    @Option(help: "Output format: text or json.")
    var output: OutputFormat = .text

    struct Result: Encodable {
        var version: String
        var libgit2: String
        var libcurl: String
    }

    func run() throws {
        let result = Result(version: SluiceVersion.current, libgit2: GitLibraries.libgit2Version, libcurl: CurlLibrary.version)
        switch output {
        case .json: try printJSON(result)
        case .text: print("sluice \(result.version) (libgit2 \(result.libgit2), \(result.libcurl))")
        }
    }
}
