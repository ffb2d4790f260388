import KubeModel
import Foundation
import Ledger
import Testing
import TestSupport

@Suite("sluice history and show read the ledger, as a user runs them")
struct HistoryShowCommandTests {
    static let shopFirst = "3f2a9c1" + String(repeating: "a", count: 33)
    static let shopSecond = "7b4e0d2" + String(repeating: "b", count: 33)
    static let blogFirst = "3f2a9c9" + String(repeating: "c", count: 33)
    static let migrate = ObjectIdentity(group: "batch", kind: "Job", namespace: "shop", name: "migrate")
    static let web = ObjectIdentity(group: "apps", kind: "Deployment", namespace: "shop", name: "web")
    static let config = ObjectIdentity(group: "", kind: "ConfigMap", namespace: "shop", name: "settings")
    static let oldConfig = ObjectIdentity(group: "", kind: "ConfigMap", namespace: "shop", name: "legacy")
    static let instant = Date(timeIntervalSince1970: 1_700_000_000)

    /// A state directory whose ledger holds, oldest first: shop at `shopFirst` (two attempts: Failed
    /// then Succeeded, with a hook log), blog at `blogFirst` (Succeeded), shop at `shopSecond`
    /// (Unchanged).
    struct Recorded {
        let directory: TemporaryDirectory
        var state: String { directory.path + "/state" }
    }

    static func record() async throws -> Recorded {
        let directory = try TemporaryDirectory(label: "cli-ledger")
        // One fixed instant keeps timestamps exact; the ledger orders equal times by when attempts began.
        let ledger = try await Ledger.open(stateDirectory: directory.path + "/state", now: { Self.instant })

        let failed = try await ledger.beginAttempt(
            app: "shop", revision: shopFirst, ref: "refs/heads/main", author: "Ada <ada@example.com>",
            message: "Deploy web 1.4\n\nWith a longer body.", trigger: .poll)
        try await ledger.enterPhase("PreSync", of: failed)
        let failedHook = try await ledger.beginTask(
            in: failed, phase: "PreSync", wave: 0, object: migrate, hook: true, action: .created)
        try await ledger.appendLog("connecting to db\nerror: timeout\n", to: failedHook)
        try await ledger.updateTask(failedHook, status: .failed, message: "hook Job shop/migrate failed")
        try await ledger.finishAttempt(failed, outcome: .failed, message: "PreSync hook Job shop/migrate failed")

        let retried = try await ledger.beginAttempt(
            app: "shop", revision: shopFirst, ref: "refs/heads/main", author: "Ada <ada@example.com>",
            message: "Deploy web 1.4\n\nWith a longer body.", trigger: .retry)
        try await ledger.enterPhase("PreSync", of: retried)
        let hook = try await ledger.beginTask(
            in: retried, phase: "PreSync", wave: 0, object: migrate, hook: true, action: .created)
        try await ledger.appendLog("connecting to db\nmigrated 3 tables\n", to: hook)
        try await ledger.updateTask(hook, status: .succeeded)
        try await ledger.enterPhase("Sync", of: retried)
        _ = try await ledger.beginTask(
            in: retried, phase: "Sync", wave: 0, object: config, hook: false, action: .configured, status: .succeeded)
        _ = try await ledger.beginTask(
            in: retried, phase: "Sync", wave: 1, object: web, hook: false, action: .created, status: .succeeded)
        _ = try await ledger.beginTask(
            in: retried, phase: "Prune", wave: 0, object: oldConfig, hook: false, action: .pruned, status: .succeeded)
        try await ledger.recordChanges(
            ChangeSet(created: [web], configured: [config], pruned: [oldConfig]), for: retried)
        try await ledger.finishAttempt(retried, outcome: .succeeded)

        let blog = try await ledger.beginAttempt(
            app: "blog", revision: blogFirst, ref: "refs/tags/v2.0.0", author: "Grace <grace@example.com>",
            message: "Release 2.0", trigger: .webhook)
        try await ledger.finishAttempt(blog, outcome: .succeeded)

        let unchanged = try await ledger.beginAttempt(
            app: "shop", revision: shopSecond, ref: "refs/heads/main", author: "Ada <ada@example.com>",
            message: "Touch the README", trigger: .poll)
        try await ledger.finishAttempt(unchanged, outcome: .unchanged)
        try await ledger.close()
        return Recorded(directory: directory)
    }

    static func jsonArray(_ result: ProcessResult) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]])
    }

    static func jsonObject(_ result: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
    }

    @Test("history --output json lists every application's attempts newest first, as the contract says")
    func historyJSON() async throws {
        let recorded = try await Self.record()
        let result = try await CLI.run(["history", "--state-dir", recorded.state, "--output", "json"])
        #expect(result.exitCode == 0, "\(result.errorOutput)")
        let entries = try Self.jsonArray(result)
        #expect(entries.map { $0["revision"] as? String } == [Self.shopSecond, Self.blogFirst, Self.shopFirst, Self.shopFirst])
        #expect(entries.map { $0["app"] as? String } == ["shop", "blog", "shop", "shop"])
        #expect(entries.map { $0["outcome"] as? String } == ["Unchanged", "Succeeded", "Succeeded", "Failed"])
        #expect(entries.map { $0["attempt"] as? Int } == [1, 1, 2, 1])
        #expect(entries.map { $0["trigger"] as? String } == ["poll", "webhook", "retry", "poll"])
        let failed = try #require(entries.last)
        for field in ["app", "revision", "ref", "author", "message", "trigger", "startedAt", "finishedAt", "outcome", "phaseReached"] {
            #expect(failed[field] != nil, "missing \(field)")
        }
        #expect(failed["phaseReached"] as? String == "PreSync")
        #expect(failed["startedAt"] as? String == "2023-11-14T22:13:20Z")
        #expect(entries.first?["phaseReached"] is NSNull)
    }

    @Test("history --app and --limit narrow the list")
    func historyFilters() async throws {
        let recorded = try await Self.record()
        let shop = try await CLI.run(["history", "--app", "shop", "--limit", "2", "--state-dir", recorded.state, "--output", "json"])
        #expect(shop.exitCode == 0, "\(shop.errorOutput)")
        let entries = try Self.jsonArray(shop)
        #expect(entries.map { $0["revision"] as? String } == [Self.shopSecond, Self.shopFirst])
        #expect(entries.map { $0["attempt"] as? Int } == [1, 2])

        let none = try await CLI.run(["history", "--app", "nope", "--state-dir", recorded.state, "--output", "json"])
        #expect(none.exitCode == 0)
        #expect(try Self.jsonArray(none).isEmpty)
        let noneText = try await CLI.run(["history", "--app", "nope", "--state-dir", recorded.state])
        #expect(noneText.exitCode == 0)
        #expect(noneText.output.contains("No sync attempts of nope"))
        #expect(noneText.output.contains("blog, shop"))

        let badLimit = try await CLI.run(["history", "--limit", "0", "--state-dir", recorded.state])
        #expect(badLimit.exitCode == 2)
    }

    @Test("history prints a table, newest first, with short revisions and first message lines")
    func historyText() async throws {
        let recorded = try await Self.record()
        let result = try await CLI.run(["history", "--state-dir", recorded.state])
        #expect(result.exitCode == 0, "\(result.errorOutput)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        let header = try #require(lines.first)
        #expect(header.split(separator: " ", omittingEmptySubsequences: true) ==
            ["REVISION", "APP", "ATTEMPT", "TRIGGER", "OUTCOME", "PHASE", "STARTED", "MESSAGE"])
        #expect(lines[1].hasPrefix(String(Self.shopSecond.prefix(12)) + "  shop"))
        #expect(lines[1].contains("Unchanged"))
        #expect(lines[1].hasSuffix("Touch the README"))
        #expect(lines[2].hasPrefix(String(Self.blogFirst.prefix(12)) + "  blog"))
        #expect(lines[4].contains("Failed"))
        #expect(lines[4].contains("PreSync"))
        #expect(lines[4].hasSuffix("Deploy web 1.4"))
        #expect(!result.output.contains(Self.shopFirst))
    }

    @Test("show --output json prints the latest attempt with its tasks and change set")
    func showJSON() async throws {
        let recorded = try await Self.record()
        let result = try await CLI.run(["show", "7b4e", "--state-dir", recorded.state, "--output", "json"])
        #expect(result.exitCode == 0, "\(result.errorOutput)")
        #expect(try Self.jsonObject(result)["revision"] as? String == Self.shopSecond)

        let latest = try await CLI.run(["show", String(Self.shopFirst.prefix(8)), "--state-dir", recorded.state, "--output", "json"])
        #expect(latest.exitCode == 0, "\(latest.errorOutput)")
        let object = try Self.jsonObject(latest)
        #expect(object["revision"] as? String == Self.shopFirst)
        #expect(object["attempt"] as? Int == 2)
        #expect(object["outcome"] as? String == "Succeeded")
        let tasks = try #require(object["tasks"] as? [[String: Any]])
        #expect(tasks.map { $0["phase"] as? String } == ["PreSync", "Sync", "Sync", "Prune"])
        #expect(tasks.map { $0["name"] as? String } == ["migrate", "settings", "web", "legacy"])
        #expect(tasks.map { $0["hook"] as? Bool } == [true, false, false, false])
        #expect(tasks.first?["log"] as? String == "connecting to db\nmigrated 3 tables\n")
        #expect(tasks.last?["log"] is NSNull)
        let changes = try #require(object["changes"] as? [String: [String]])
        #expect(changes["created"] == ["apps/Deployment/shop/web"])
        #expect(changes["configured"] == ["/ConfigMap/shop/settings"])
        #expect(changes["unchanged"] == [])
        #expect(changes["pruned"] == ["/ConfigMap/shop/legacy"])

        let first = try await CLI.run(
            ["show", Self.shopFirst, "--app", "shop", "--attempt", "1", "--state-dir", recorded.state, "--output", "json"])
        #expect(first.exitCode == 0, "\(first.errorOutput)")
        let firstObject = try Self.jsonObject(first)
        #expect(firstObject["attempt"] as? Int == 1)
        #expect(firstObject["outcome"] as? String == "Failed")
        #expect(firstObject["outcomeMessage"] as? String == "PreSync hook Job shop/migrate failed")
    }

    @Test("show prints the attempt's fields, tasks in order, the change set and each hook log")
    func showText() async throws {
        let recorded = try await Self.record()
        let result = try await CLI.run(["show", "3f2a9c1", "--app", "shop", "--state-dir", recorded.state])
        #expect(result.exitCode == 0, "\(result.errorOutput)")
        let text = result.output
        #expect(text.contains("revision:"))
        #expect(text.contains(Self.shopFirst))
        #expect(text.contains("Succeeded"))
        #expect(text.contains("With a longer body."))
        let preSync = try #require(text.range(of: "PreSync  0"))
        let sync = try #require(text.range(of: "Sync     1     Deployment"))
        let prune = try #require(text.range(of: "Prune    0"))
        #expect(preSync.lowerBound < sync.lowerBound && sync.lowerBound < prune.lowerBound)
        #expect(text.contains("shop/migrate"))
        #expect(text.contains("created (1):\n    apps/Deployment/shop/web"))
        #expect(text.contains("pruned (1):\n    /ConfigMap/shop/legacy"))
        #expect(text.contains("unchanged: none"))
        #expect(text.contains("Log of PreSync hook Job shop/migrate (task 1):\n    connecting to db\n    migrated 3 tables"))
    }

    @Test("show exits 2 with the ledger's message for an unknown revision, an ambiguous prefix or an unknown app")
    func showErrors() async throws {
        let recorded = try await Self.record()
        let unknown = try await CLI.run(["show", "deadbeef", "--state-dir", recorded.state])
        #expect(unknown.exitCode == 2)
        #expect(unknown.errorOutput.contains("no attempt of revision deadbeef"))
        #expect(unknown.output.isEmpty)

        let ambiguous = try await CLI.run(["show", "3f2a9c", "--state-dir", recorded.state])
        #expect(ambiguous.exitCode == 2)
        #expect(ambiguous.errorOutput.contains("ambiguous"))
        #expect(ambiguous.errorOutput.contains(Self.shopFirst) && ambiguous.errorOutput.contains(Self.blogFirst))

        let otherApp = try await CLI.run(["show", "7b4e", "--app", "blog", "--state-dir", recorded.state])
        #expect(otherApp.exitCode == 2)
        #expect(otherApp.errorOutput.contains("of blog"))

        let noSuchAttempt = try await CLI.run(["show", "7b4e", "--attempt", "5", "--state-dir", recorded.state])
        #expect(noSuchAttempt.exitCode == 2)

        let notHex = try await CLI.run(["show", "main", "--state-dir", recorded.state])
        #expect(notHex.exitCode == 2)
        #expect(notHex.errorOutput.contains("is not a revision"))
        for result in [unknown, ambiguous, otherApp, noSuchAttempt, notHex] {
            #expect(!result.errorOutput.contains("LedgerError("), "\(result.errorOutput)")
        }
    }

    @Test("history and show exit 2 naming the missing ledger when nothing has been synced")
    func missingLedger() async throws {
        let directory = try TemporaryDirectory(label: "cli-ledger")
        let state = directory.path + "/empty-state"
        for arguments in [["history"], ["history", "--output", "json"], ["show", "3f2a9c1"]] {
            let result = try await CLI.run(arguments + ["--state-dir", state])
            #expect(result.exitCode == 2, "\(arguments)")
            #expect(result.errorOutput.contains("no ledger at \(state)/ledger.sqlite"))
            #expect(result.output.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: state))
    }

    @Test("history shows a running attempt as Running and leaves it Running")
    func runningStaysRunning() async throws {
        let directory = try TemporaryDirectory(label: "cli-ledger")
        let state = directory.path + "/state"
        let ledger = try await Ledger.open(stateDirectory: state)
        let running = try await ledger.beginAttempt(
            app: "shop", revision: Self.shopFirst, ref: "refs/heads/main", author: "Ada", message: "Deploy",
            trigger: .manual)
        try await ledger.enterPhase("Sync", of: running)

        let text = try await CLI.run(["history", "--state-dir", state])
        #expect(text.exitCode == 0, "\(text.errorOutput)")
        #expect(text.output.contains("Running"))
        let json = try await CLI.run(["history", "--state-dir", state, "--output", "json"])
        let entry = try #require(try Self.jsonArray(json).first)
        #expect(entry["outcome"] as? String == "Running")
        #expect(entry["finishedAt"] is NSNull)
        let show = try await CLI.run(["show", "3f2a", "--state-dir", state])
        #expect(show.exitCode == 0, "\(show.errorOutput)")
        #expect(show.output.contains("still running"))

        #expect(try await ledger.attempt(running).outcome == .running)
        try await ledger.close()
        // Closed by the agent without finishing: a reader still sees Running, not Interrupted.
        let again = try await CLI.run(["history", "--state-dir", state, "--output", "json"])
        #expect(try Self.jsonArray(again).first?["outcome"] as? String == "Running")
        #expect(try await Ledger.open(stateDirectory: state).interruptedAtOpen == 1)
    }
}
