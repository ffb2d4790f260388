import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Faults done for real: a sync killed with SIGKILL in the middle of its work leaves nothing that a
/// later sync cannot clean up; an agent stopped with SIGTERM in the middle of a hook stops it, runs
/// SyncFail and records the end.
@Suite("Fault paths: nothing orphaned, nothing stuck", .timeLimit(.minutes(8)))
struct FaultPathTests {
    typealias Workspace = SyncCommandTests.Workspace
    typealias RunningCluster = SyncCommandTests.RunningCluster

    /// The names of the application's ConfigMaps named `settings-…` in the cluster.
    static func settings(_ cluster: RunningCluster) async throws -> [String] {
        let result = try await cluster.kubectl(["get", "configmaps", "-l", "app.kubernetes.io/managed-by=sluice", "-o", "name"])
        return result.output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("configmap/settings-") }
    }

    @Test("a sync killed with SIGKILL in the middle of applying 200 objects leaves each of them in the inventory, so a commit that removes them prunes them all")
    func killedMidApplyOrphansNothing() async throws {
        let ws = try Workspace("fault-kill-apply")
        let cluster = try await RunningCluster(ws)
        defer { cluster.stop() }
        try ws.work.write(SyncCommandTests.configMap("keep", ["a": "1"]), to: "app/keep.yaml")
        for index in 0..<200 {
            try ws.work.write(SyncCommandTests.configMap("settings-\(index)", ["index": "\(index)"]), to: "app/settings-\(index).yaml")
        }
        try ws.work.commit("two hundred settings")

        // A client-side rate limit of 10 requests a second spreads the 400 requests (a dry run and an
        // apply for each object) over 40 seconds: the kill comes in the middle, however busy the machine.
        let sync = try BackgroundProcess(
            SluiceCLI.locate().executable.path,
            ["sync", "--repo", ws.work.path, "--path", "app", "--app", "shop", "--state-dir", ws.state, "--kube-qps", "10", "--kube-burst", "1"],
            environment: ws.environment, logFile: ws.directory.appending("sync.log"))
        try await waitUntil(timeout: .seconds(90), poll: .milliseconds(200), "the sync has applied some of the objects") {
            try await Self.settings(cluster).count >= 10
        }
        kill(sync.pid, SIGKILL)
        #expect(sync.waitForExit(within: .seconds(30)))
        let created = try await Self.settings(cluster)
        #expect(created.count < 200, "the kill came before the sync was done: \(created.count) objects")

        for index in 0..<200 { try ws.work.remove("app/settings-\(index).yaml") }
        try ws.work.commit("remove the settings")
        let again = try await ws.run("sync", ["--path", "app", "--app", "shop", "--kube-qps", "0"])
        #expect(again.exitCode == 0, "\(again.output)\(again.errorOutput)")
        #expect(try await Self.settings(cluster).isEmpty, "every object the killed sync may have created was pruned")
        let keep = try await cluster.kubectl(["get", "configmap", "keep", "-o", "name"])
        #expect(keep.trimmedOutput == "configmap/keep")
        let history = try await ws.sluice(["history", "--state-dir", ws.state, "--output", "json"])
        let outcomes = try SyncCommandTests.array(history).map { $0["outcome"] as? String ?? "" }
        #expect(outcomes == ["Succeeded", "Interrupted"], "\(outcomes)")
    }

    @Test("a PreSync hook left with its finalizer by a sync killed with SIGKILL is released by the next sync, so it is not left Terminating")
    func killedDuringHookLeavesNothingStuck() async throws {
        let ws = try Workspace("fault-kill-hook")
        let cluster = try await RunningCluster(ws)
        defer { cluster.stop() }
        try ws.work.write(SyncCommandTests.hookJob("migrate", hook: "PreSync", script: "echo started; sleep 60"), to: "app/migrate.yaml")
        try ws.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        try ws.work.commit("a long migration")
        let sync = try BackgroundProcess(
            SluiceCLI.locate().executable.path, ["sync", "--repo", ws.work.path, "--path", "app", "--app", "shop", "--state-dir", ws.state],
            environment: ws.environment, logFile: ws.directory.appending("sync.log"))
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(200), "the migration runs") {
            let pods = try await cluster.kubectl(["get", "pods", "-l", "job-name=migrate", "-o", "jsonpath={.items[*].status.phase}"])
            return pods.output.contains("Running")
        }
        kill(sync.pid, SIGKILL)
        #expect(sync.waitForExit(within: .seconds(30)))
        // Someone cleans up by hand: the Job stays Terminating while the hook finalizer holds it.
        let finalizers = try await cluster.kubectl(["get", "job", "migrate", "-o", "jsonpath={.metadata.finalizers}"])
        #expect(finalizers.output.contains("sluice.dev/hook-finalizer"), "\(finalizers.output)")
        _ = try await cluster.kubectl(["delete", "job", "migrate", "--wait=false"])
        let terminating = try await cluster.kubectl(["get", "job", "migrate", "-o", "jsonpath={.metadata.deletionTimestamp}"])
        #expect(!terminating.trimmedOutput.isEmpty, "the Job is Terminating")

        try ws.work.remove("app/migrate.yaml")
        try ws.work.write(SyncCommandTests.configMap("settings", ["mode": "two"]), to: "app/settings.yaml")
        try ws.work.commit("no more migration")
        let again = try await ws.run("sync", ["--path", "app", "--app", "shop"])
        #expect(again.exitCode == 0, "\(again.output)\(again.errorOutput)")
        try await waitUntil(timeout: .seconds(30), poll: .milliseconds(200), "the Job is gone") {
            let job = try await cluster.kubectl(["get", "job", "migrate", "-o", "name"])
            return job.errorOutput.contains("NotFound")
        }
    }

    @Test("on a PostgreSQL ledger shared by two state directories, a sync killed with SIGKILL mid-hook shows Running to the other, is marked Interrupted by the other's next sync, and both read one history")
    func killedSyncOnASharedPostgresLedger() async throws {
        let server = try await PostgresServer.start()
        defer { server.stop() }
        let ws = try Workspace("fault-postgres")
        let cluster = try await RunningCluster(ws)
        defer { cluster.stop() }
        let other = ws.directory.appending("other-state").path
        let environment = ws.environment.merging(["SLUICE_LEDGER_PASSWORD": server.password]) { _, new in new }
        let shared = ["--ledger", server.url(), "--kubeconfig", cluster.kubeconfig.path]
        func sluice(_ arguments: [String]) async throws -> ProcessResult {
            try await SluiceCLI.locate().runAsync(arguments, environment: environment, timeout: .seconds(150))
        }
        func outcomes(stateDirectory: String) async throws -> [String] {
            let history = try await sluice(["history", "--state-dir", stateDirectory, "--output", "json"] + shared.prefix(2))
            #expect(history.exitCode == 0, "\(history.errorOutput)")
            return try SyncCommandTests.array(history).map { $0["outcome"] as? String ?? "" }
        }

        try ws.work.write(SyncCommandTests.hookJob("migrate", hook: "PreSync", script: "echo started; sleep 60"), to: "app/migrate.yaml")
        try ws.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        try ws.work.commit("a long migration")
        let sync = try BackgroundProcess(
            SluiceCLI.locate().executable.path,
            ["sync", "--repo", ws.work.path, "--path", "app", "--app", "shop", "--state-dir", ws.state] + shared,
            environment: environment, logFile: ws.directory.appending("sync.log"))
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(200), "the migration runs") {
            let pods = try await cluster.kubectl(["get", "pods", "-l", "job-name=migrate", "-o", "jsonpath={.items[*].status.phase}"])
            return pods.output.contains("Running")
        }
        // Another process, with a state directory of its own, reads the shared ledger meanwhile.
        #expect(try await outcomes(stateDirectory: other) == ["Running"])
        kill(sync.pid, SIGKILL)
        #expect(sync.waitForExit(within: .seconds(30)))

        try ws.work.remove("app/migrate.yaml")
        try ws.work.commit("no more migration")
        let again = try await sluice(["sync", "--repo", ws.work.path, "--path", "app", "--app", "shop", "--state-dir", other] + shared)
        #expect(again.exitCode == 0, "\(again.output)\(again.errorOutput)")
        #expect(try await outcomes(stateDirectory: ws.state) == ["Succeeded", "Interrupted"])
        #expect(try await outcomes(stateDirectory: other) == ["Succeeded", "Interrupted"])
        #expect(!FileManager.default.fileExists(atPath: ws.state + "/ledger.sqlite"), "nothing was written to a local ledger")
        #expect(!FileManager.default.fileExists(atPath: other + "/ledger.sqlite"))
        // The password is in no output.
        #expect(!again.output.contains(server.password) && !again.errorOutput.contains(server.password))
    }

    @Test("an agent stopped with SIGTERM during a PreSync hook stops the hook with its log, runs the SyncFail hook, records the attempt as ended and exits")
    func sigtermDuringHookRunsSyncFail() async throws {
        let ws = try Workspace("fault-sigterm-hook")
        try ws.work.write(SyncCommandTests.hookJob("migrate", hook: "PreSync", script: "echo migrating; sleep 60"), to: "app/migrate.yaml")
        try ws.work.write(SyncCommandTests.hookJob("notify", hook: "SyncFail", script: "echo paging the on-call"), to: "app/notify.yaml")
        try ws.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let revision = try ws.work.commit("a long migration")
        let agent = try await AgentCommandTests.RunningAgent(ws, ["--path", "app", "--app", "shop", "--interval", "1h"])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(200), "the migration runs") {
            agent.process.log().contains("hook PreSync Job default/migrate: running")
        }
        kill(agent.process.pid, SIGTERM)
        #expect(agent.process.waitForExit(within: .seconds(60)), "the agent exits after the SyncFail hook")

        let show = try await ws.sluice(["show", revision, "--state-dir", ws.state, "--output", "json"])
        let attempt = try SyncCommandTests.object(show)
        #expect(attempt["outcome"] as? String == "Failed", "\(attempt)")
        #expect((attempt["outcomeMessage"] as? String)?.contains("the sync stopped while hook migrate ran") == true, "\(attempt["outcomeMessage"] ?? "")")
        let tasks = try SyncCommandTests.tasks(attempt)
        let migrate = try SyncCommandTests.task(tasks, named: "migrate", phase: "PreSync")
        #expect(migrate["status"] as? String == "Failed")
        #expect((migrate["log"] as? String)?.contains("migrating") == true, "the stopped hook's log is kept: \(migrate)")
        let notify = try SyncCommandTests.task(tasks, named: "notify", phase: "SyncFail")
        #expect(notify["status"] as? String == "Succeeded", "\(notify)")
        #expect((notify["log"] as? String)?.contains("paging the on-call") == true, "\(notify)")
    }

    @Test("SIGTERM during a PreSync hook deletes only that running hook, its finalizer released; a completed hook with HookFailed that succeeded stays")
    func sigtermDeletesOnlyTheRunningHook() async throws {
        let ws = try Workspace("fault-sigterm-policies")
        let cluster = try await RunningCluster(ws)
        defer { cluster.stop() }
        let backup = SyncCommandTests.hookJob("backup", hook: "PreSync", script: "echo backed up", deletePolicy: "HookFailed")
            .replacingOccurrences(of: "argocd.argoproj.io/hook: PreSync", with: "argocd.argoproj.io/hook: PreSync\n    argocd.argoproj.io/sync-wave: \"-1\"")
        try ws.work.write(backup, to: "app/backup.yaml")
        try ws.work.write(
            SyncCommandTests.hookJob("migrate", hook: "PreSync", script: "echo migrating; sleep 60", deletePolicy: "HookFailed"), to: "app/migrate.yaml")
        try ws.work.write(SyncCommandTests.hookJob("notify", hook: "SyncFail", script: "echo paging the on-call"), to: "app/notify.yaml")
        try ws.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let revision = try ws.work.commit("a long migration after a backup")
        let agent = try await AgentCommandTests.RunningAgent(ws, ["--path", "app", "--app", "shop", "--interval", "1h"])
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(200), "the migration runs") {
            agent.process.log().contains("hook PreSync Job default/migrate: running")
        }
        kill(agent.process.pid, SIGTERM)
        #expect(agent.process.waitForExit(within: .seconds(60)), "the agent exits after the SyncFail hook")

        let migrate = try await cluster.kubectl(["get", "job", "migrate", "-o", "name"])
        #expect(migrate.exitCode != 0 && migrate.errorOutput.contains("NotFound"), "the running hook is deleted, not left Terminating: \(migrate.output)")
        let kept = try await cluster.kubectl(["get", "job", "backup", "-o", "jsonpath={.metadata.finalizers}|{.status.succeeded}"])
        #expect(kept.exitCode == 0, "the completed HookFailed hook that succeeded stays: \(kept.errorOutput)")
        // An emptied finalizer list prints as `[]`.
        #expect(["|1", "[]|1"].contains(kept.output), "no finalizer left on it, and it succeeded: \(kept.output)")

        let attempt = try SyncCommandTests.object(try await ws.sluice(["show", revision, "--state-dir", ws.state, "--output", "json"]))
        #expect(attempt["outcome"] as? String == "Failed", "\(attempt)")
        let tasks = try SyncCommandTests.tasks(attempt)
        #expect(try SyncCommandTests.task(tasks, named: "backup", phase: "PreSync")["status"] as? String == "Succeeded")
        #expect(!tasks.contains { $0["name"] as? String == "backup" && $0["action"] as? String == "deleted" }, "\(tasks)")
        #expect(try SyncCommandTests.task(tasks, named: "migrate", phase: "PreSync")["status"] as? String == "Failed")
        #expect(try SyncCommandTests.task(tasks, named: "notify", phase: "SyncFail")["status"] as? String == "Succeeded")
    }

    /// A small tmpfs for a state directory, so that a test can fill it up; unmounted by ``unmount()``.
    struct SmallDisk {
        let path: String

        init(at path: String, megabytes: Int) async throws {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let mounted = try await ProcessRunner.runAsync("mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path], timeout: .seconds(30))
            guard mounted.exitCode == 0 else { throw TestSupportError(.systemCall, "mount tmpfs on \(path): \(mounted.errorOutput)") }
            self.path = path
        }

        /// Fills what is left with one file.
        func fill() async throws -> String {
            let filler = path + "/filler"
            _ = try await ProcessRunner.runAsync("dd", ["if=/dev/zero", "of=\(filler)", "bs=64k"], timeout: .seconds(60))
            return filler
        }

        func unmount() {
            _ = try? ProcessRunner.run("umount", ["-l", path], timeout: .seconds(30))
        }
    }

    @Test("with the state directory's disk full, the agent keeps running, starts no hook and leaves no attempt Running; with space back it syncs the commit")
    func diskFull() async throws {
        let ws = try Workspace("fault-disk-full")
        let cluster = try await RunningCluster(ws)
        defer { cluster.stop() }
        let disk = try await SmallDisk(at: ws.directory.appending("small-disk").path, megabytes: 16)
        defer { disk.unmount() }
        let state = disk.path + "/state"
        try ws.work.write(SyncCommandTests.configMap("settings", ["mode": "one"]), to: "app/settings.yaml")
        let first = try ws.work.commit("first")
        let agent = try await AgentCommandTests.RunningAgent(
            ws, ["--path", "app", "--app", "shop", "--interval", "1s", "--kubeconfig", cluster.kubeconfig.path], stateDir: state)
        let history = { () async throws -> [[String: Any]] in
            let result = try await ws.sluice(["history", "--state-dir", state, "--output", "json"])
            return (try? JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]]) ?? []
        }
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the first commit is synced") {
            AgentCommandTests.attempts(try await history(), revision: first).contains { $0["outcome"] as? String == "Succeeded" }
        }

        let filler = try await disk.fill()
        let marker = ws.directory.appending("migration-ran").path
        try ws.work.write(SyncCommandTests.hookJob("migrate", hook: "PreSync", script: "touch \(marker); echo migrated"), to: "app/migrate.yaml")
        try ws.work.write(SyncCommandTests.configMap("settings", ["mode": "two"]), to: "app/settings.yaml")
        let second = try ws.work.commit("a migration, with the disk full")
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(200), "the agent meets the full disk") {
            let log = agent.process.log()
            return log.contains("No space left on device") || log.contains("database or disk is full")
        }
        #expect(agent.process.isRunning)
        #expect(try await agent.get("/healthz").0 == 200)
        #expect(!FileManager.default.fileExists(atPath: marker), "no hook starts while the ledger cannot record it")

        try FileManager.default.removeItem(atPath: filler)
        try await waitUntil(timeout: .seconds(60), poll: .milliseconds(500), "the commit is synced once there is space") {
            AgentCommandTests.attempts(try await history(), revision: second).contains { $0["outcome"] as? String == "Succeeded" }
        }
        #expect(FileManager.default.fileExists(atPath: marker))
        let attempts = AgentCommandTests.attempts(try await history(), revision: second)
        #expect(!attempts.contains { $0["outcome"] as? String == "Running" }, "no attempt is left Running: \(attempts)")
        agent.process.stop()
    }
}
