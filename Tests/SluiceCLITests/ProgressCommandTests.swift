import Foundation
import Testing
import TestSupport

/// What `sluice sync` and friends print while they work: phases, waits, hooks and their output on
/// stderr in text; nothing extra with `--output json`; a first fetch's progress on a terminal.
@Suite("Progress of long work, as a user sees it", .timeLimit(.minutes(8)))
struct ProgressCommandTests {
    typealias Workspace = SyncCommandTests.Workspace

    static func writeApp(_ work: GitRepository) throws {
        try work.write(
            SyncCommandTests.hookJob("migrate", hook: "PreSync", script: "echo migrating 0001; echo migrating 0002; sleep 0.5; echo migrated"),
            to: "app/migrate.yaml")
        try work.write(SyncCommandTests.deployment, to: "app/web.yaml")
    }

    @Test("sync --follow-hooks prints each phase, the running hook and its output prefixed by its name on stderr, and the result on stdout")
    func followHooks() async throws {
        let ws = try Workspace("cli-progress")
        try Self.writeApp(ws.work)
        try ws.work.commit("Deploy web with a migration")

        let result = try await ws.run("sync", ["--path", "app", "--app", "shop", "--follow-hooks"])
        #expect(result.exitCode == 0, "\(result.errorOutput)")
        let progress = result.errorOutput.split(separator: "\n").map(String.init)
        for expected in ["phase PreSync", "phase Sync", "hook PreSync Job default/migrate: running", "migrate | migrating 0001", "migrate | migrating 0002", "migrate | migrated"] {
            #expect(progress.contains(expected), "no '\(expected)' in:\n\(result.errorOutput)")
        }
        // In the order they happened: the hook's output after it started and before it ended.
        let started = try #require(progress.firstIndex(of: "hook PreSync Job default/migrate: running"))
        let printed = try #require(progress.firstIndex(of: "migrate | migrated"))
        let ended = try #require(progress.firstIndex { $0.hasPrefix("hook PreSync Job default/migrate: Succeeded") }, "\(result.errorOutput)")
        #expect(started < printed && printed < ended)
        #expect(result.output.contains("shop ") && result.output.contains(": Succeeded"), "\(result.output)")
        #expect(!result.output.contains("phase PreSync"), "progress belongs on stderr: \(result.output)")

        // Without a terminal and without the flag, waits and hooks are reported but hook output is not streamed.
        let again = try await ws.run("sync", ["--path", "app", "--app", "shop"])
        #expect(again.exitCode == 0, "\(again.errorOutput)")
        #expect(again.errorOutput.contains("hook PreSync Job default/migrate: running"), "\(again.errorOutput)")
        #expect(!again.errorOutput.contains("migrate | "), "\(again.errorOutput)")
    }

    @Test("a health wait that does not end says on stderr what it waits for as it goes, and the failure names the object and its health")
    func unfinishedHealthWait() async throws {
        let ws = try Workspace("cli-progress-health")
        try ws.work.write(AgentProgressTests.crashingDeployment, to: "app/web.yaml")
        try ws.work.commit("a deployment that never becomes available")

        // Progress is reported every 5 s: a 12 s wait reports at least twice before it runs out.
        let result = try await ws.run("sync", ["--path", "app", "--app", "shop", "--health-timeout", "12s"])
        #expect(result.exitCode == 1, "\(result.output)\(result.errorOutput)")
        let waits = result.errorOutput.split(separator: "\n").filter { $0.hasPrefix("waiting for Deployment default/web: ") }
        #expect(waits.count >= 2, "\(result.errorOutput)")
        #expect(waits.allSatisfy { $0.contains("0 of 1 updated replicas are available (") && $0.hasSuffix(" of 12s)") }, "\(waits)")
        let said = result.output + result.errorOutput
        #expect(said.contains("Deployment default/web did not become healthy within 12s"), "\(said)")
        #expect(said.contains("0 of 1 updated replicas are available"), "\(said)")
    }

    @Test("with --output json a sync prints its JSON on stdout and no progress, even with --follow-hooks")
    func jsonIsQuiet() async throws {
        let ws = try Workspace("cli-progress-json")
        try Self.writeApp(ws.work)
        try ws.work.commit("Deploy web with a migration")

        let result = try await ws.run("sync", ["--path", "app", "--app", "shop", "--output", "json", "--follow-hooks"])
        #expect(result.exitCode == 0, "\(result.errorOutput)")
        let object = try SyncCommandTests.object(result)
        #expect(object["outcome"] as? String == "Succeeded")
        for unwanted in ["phase ", "hook PreSync", "migrate | ", "waiting for "] {
            #expect(!result.errorOutput.contains(unwanted), "'\(unwanted)' in:\n\(result.errorOutput)")
        }
    }

    @Test("a first fetch over the network shows objects received on a terminal, and nothing when stderr is not a terminal")
    func fetchProgressOnATerminal() async throws {
        let directory = try TemporaryDirectory(label: "cli-fetch-progress")
        let daemon = try await GitDaemonServer.start()
        defer { daemon.stop() }
        let bare = try daemon.createRepository(named: "big")
        let work = try GitRepository(at: directory.appending("work"))
        for index in 0..<200 {
            try work.write(SyncCommandTests.configMap("settings-\(index)", ["index": "\(index)"]), to: "app/settings-\(index).yaml")
        }
        let first = try work.commit("Two hundred settings")
        try work.write(SyncCommandTests.configMap("settings-0", ["index": "changed"]), to: "app/settings-0.yaml")
        let second = try work.commit("Change one")
        try work.push(to: bare)
        let binary = try SluiceCLI.locate().executable.path
        let url = daemon.url(for: "big")

        func diff(state: String) -> [String] {
            [binary, "diff", "--repo", url, "--path", "app", "--from", first, "--to", second, "--state-dir", directory.appending(state).path]
        }
        // `script` gives the command a terminal, as a person running it has.
        let command = diff(state: "on-terminal").map { "'\($0)'" }.joined(separator: " ")
        let onTerminal = try await ProcessRunner.runAsync(
            "script", ["-q", "-e", "-c", command, "/dev/null"], environment: ["HOME": directory.path], timeout: .seconds(60))
        #expect(onTerminal.exitCode == 0, "\(onTerminal.output)\(onTerminal.errorOutput)")
        let screen = onTerminal.output
        #expect(screen.contains("fetching \(url): "), "\(screen)")
        #expect(screen.contains(" objects, "), "\(screen)")
        #expect(screen.contains(", done"), "\(screen)")
        #expect(screen.contains("settings-0"), "the diff itself is printed too: \(screen)")

        let piped = try await ProcessRunner.runAsync(diff(state: "piped")[0], Array(diff(state: "piped").dropFirst()), timeout: .seconds(60))
        #expect(piped.exitCode == 0, "\(piped.errorOutput)")
        #expect(!piped.errorOutput.contains("fetching "), "\(piped.errorOutput)")
        #expect(piped.output.contains("settings-0"), "\(piped.output)")
    }
}
