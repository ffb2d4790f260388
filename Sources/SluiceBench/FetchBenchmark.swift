import Foundation
import TestSupport

/// `scripts/bench/fetch`: GitSource against `git` on the same repository, in the same run,
/// over file:// and smart HTTP: first clone, incremental fetch after 10 commits, and the
/// "anything new?" check. Prints times, bytes on the wire (counted by the HTTP server for each
/// request it answers), requests, peak resident memory, and the ratios.
enum FetchBenchmark {
    struct Row {
        var operation: String
        var transport: String
        var git: Measurement
        var sluice: Measurement
        var gitWire: (bytes: Int, requests: Int)?
        var sluiceWire: (bytes: Int, requests: Int)?
    }

    static func run(files: Int, commits: Int) async throws {
        let work = try TemporaryDirectory(label: "bench-fetch")
        defer { work.remove() }
        let server = try await GitHTTPServer.start()
        defer { server.stop() }
        let bare = try server.createRepository(named: "big")
        print("Generating a repository with \(files) files and \(commits) commits...")
        let generated = try RepositoryGenerator.generate(into: bare.url, files: files, commits: commits)
        let packSize = try directorySize(bare.path)
        print("  \(generated.files) files, \(generated.commitsAdded) commits, \(packSize / 1024) KiB on disk\n")

        let me = CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0]
            : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0]
        var rows: [Row] = []
        var breakdown: [String] = []
        for (transport, url) in [("file://", bare.fileURL), ("http", server.url(for: "big"))] {
            let tag = transport == "http" ? "http" : "file"
            let gitDir = work.appending("git-\(tag).git").path
            let state = work.appending("sluice-\(tag)").path
            func wire(_ body: () throws -> Measurement) throws -> (Measurement, (Int, Int)?) {
                server.resetStatistics()
                let m = try body()
                guard m.exitCode == 0 else { throw BenchError("command failed (\(m.exitCode)): \(m.output)") }
                if transport != "http" { return (m, nil) }
                let records = try server.requests()
                breakdown.append(records.map { "\($0.method) \(($0.path as NSString).lastPathComponent) \($0.requestBytes)B->\($0.responseBytes)B" }.joined(separator: ", "))
                return (m, (records.reduce(0) { $0 + $1.requestBytes + $1.responseBytes }, records.count))
            }
            let (gitClone, gitCloneWire) = try wire { try measure(["git", "clone", "--mirror", "--quiet", url, gitDir]) }
            let (sluiceClone, sluiceCloneWire) = try wire { try measure([me, "op", "clone", url, state]) }
            rows.append(Row(operation: "first clone", transport: transport, git: gitClone, sluice: sluiceClone, gitWire: gitCloneWire, sluiceWire: sluiceCloneWire))

            try RepositoryGenerator.appendCommits(to: bare.url, count: 10)
            let (gitFetch, gitFetchWire) = try wire { try measure(["git", "-C", gitDir, "fetch", "--quiet"]) }
            let (sluiceFetch, sluiceFetchWire) = try wire { try measure([me, "op", "fetch", url, state]) }
            rows.append(Row(operation: "fetch 10 new commits", transport: transport, git: gitFetch, sluice: sluiceFetch, gitWire: gitFetchWire, sluiceWire: sluiceFetchWire))

            let (gitCheck, gitCheckWire) = try wire {
                try measure(["git", "-c", "protocol.version=2", "ls-remote", url, "refs/heads/main"])
            }
            let (sluiceCheck, sluiceCheckWire) = try wire { try measure([me, "op", "check", url, state]) }
            rows.append(Row(operation: "anything new?", transport: transport, git: gitCheck, sluice: sluiceCheck, gitWire: gitCheckWire, sluiceWire: sluiceCheckWire))
        }
        printTable(rows)
        print("\nHTTP requests (in order: git clone, sluice clone, git fetch, sluice fetch, git check, sluice check):")
        breakdown.forEach { print("  " + $0) }
    }

    static func printTable(_ rows: [Row]) {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func secs(_ m: Measurement) -> String { String(format: "%.3fs", m.seconds) }
        func ratio(_ a: Double, _ b: Double) -> String { b > 0 ? String(format: "%.2fx", a / b) : "-" }
        let header = ["operation", "transport", "git time", "sluice time", "time ratio", "git bytes/req", "sluice bytes/req", "bytes ratio", "git RSS", "sluice RSS"]
        let widths = [22, 10, 10, 12, 11, 16, 17, 12, 10, 11]
        print(zip(header, widths).map { pad($0, $1) }.joined())
        for row in rows {
            let gitBytes = row.gitWire.map { "\($0.bytes)/\($0.requests)" } ?? "-"
            let sluiceBytes = row.sluiceWire.map { "\($0.bytes)/\($0.requests)" } ?? "-"
            let bytesRatio = row.gitWire.flatMap { g in row.sluiceWire.map { ratio(Double($0.bytes), Double(g.bytes)) } } ?? "-"
            let cells = [row.operation, row.transport, secs(row.git), secs(row.sluice), ratio(row.sluice.seconds, row.git.seconds),
                         gitBytes, sluiceBytes, bytesRatio, "\(row.git.peakRSSKiB / 1024)MiB", "\(row.sluice.peakRSSKiB / 1024)MiB"]
            print(zip(cells, widths).map { pad($0, $1) }.joined())
        }
        print("\nRatios are sluice / git: below 1 means Sluice is faster or sends less. Aims: check <= 1 KB in one request;")
        print("incremental fetch within 1.5x of git's bytes and time; first clone within 2x of git's time.")
    }

    static func directorySize(_ path: String) throws -> Int {
        var total = 0
        if let walker = FileManager.default.enumerator(atPath: path) {
            for case let file as String in walker {
                let attributes = try FileManager.default.attributesOfItem(atPath: path + "/" + file)
                total += (attributes[.size] as? Int) ?? 0
            }
        }
        return total
    }
}
