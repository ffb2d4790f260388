import Foundation
import Testing
import TestSupport

/// `sluice sync`, `plan` and `diff` as a user runs them: the real binary, a real Git repository,
/// and a real cluster (the embedded LocalCluster running pods as processes, or a
/// `sluice local-cluster` server that the commands reuse and kubectl inspects).
@Suite("sluice sync, plan and diff against a cluster, as a user runs them", .timeLimit(.minutes(8)))
struct SyncCommandTests {
    // MARK: Fixtures

    /// A work tree, a state directory, and an empty HOME so that no developer's kubeconfig is used.
    struct Workspace {
        let directory: TemporaryDirectory
        let work: GitRepository

        init(_ label: String) throws {
            directory = try TemporaryDirectory(label: label)
            work = try GitRepository(at: directory.appending("work"))
            try directory.makeSubdirectory("home")
        }

        var state: String { directory.appending("state").path }
        var home: String { directory.appending("home").path }
        var kubeconfig: URL { directory.appending("state/local-cluster/kubeconfig") }

        /// No kubeconfig anywhere and not in a pod: the commands fall back to the embedded cluster.
        var environment: [String: String] {
            ["HOME": home, "XDG_CONFIG_HOME": home, "KUBECONFIG": "", "KUBERNETES_SERVICE_HOST": "", "KUBERNETES_SERVICE_PORT": ""]
        }

        func sluice(_ arguments: [String]) async throws -> ProcessResult {
            try await CLI.run(arguments, environment: environment, timeout: .seconds(150))
        }

        /// `sluice COMMAND --repo WORK --state-dir STATE ARGUMENTS`.
        func run(_ command: String, _ arguments: [String] = []) async throws -> ProcessResult {
            try await sluice([command, "--repo", work.path, "--state-dir", state] + arguments)
        }
    }

    /// `sluice local-cluster --data STATE/local-cluster --run-pods` in the background: the sync
    /// commands find its kubeconfig answering and use it, and kubectl looks at what they did.
    final class RunningCluster: Sendable {
        let process: BackgroundProcess
        let kubeconfig: URL
        let home: String

        init(_ workspace: Workspace) async throws {
            let data = URL(fileURLWithPath: workspace.state).appendingPathComponent("local-cluster")
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            process = try BackgroundProcess(
                SluiceCLI.locate().executable.path,
                ["local-cluster", "--listen", "127.0.0.1:0", "--data", data.path, "--run-pods"],
                environment: workspace.environment, logFile: workspace.directory.appending("local-cluster.log"))
            kubeconfig = data.appendingPathComponent("kubeconfig")
            home = workspace.home
            let process = self.process
            try await waitUntil(timeout: .seconds(30), "the local cluster announces itself") {
                process.log().contains("LocalCluster serving on https://127.0.0.1:")
            }
        }

        deinit { process.stop() }

        func stop() { process.stop() }

        func kubectl(_ arguments: [String], input: String? = nil) async throws -> ProcessResult {
            try await ProcessRunner.runAsync(
                "kubectl", ["--kubeconfig", kubeconfig.path] + arguments, environment: ["KUBECONFIG": "", "HOME": home],
                input: input.map { Data($0.utf8) }, timeout: .seconds(60))
        }
    }

    static func object(_ result: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "\(result.output)")
    }

    static func array(_ result: ProcessResult) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]], "\(result.output)")
    }

    static func tasks(_ object: [String: Any]) throws -> [[String: Any]] {
        try #require(object["tasks"] as? [[String: Any]])
    }

    /// Each task as `PHASE WAVE KIND NAME`, for comparing orders at a glance.
    static func order(_ tasks: [[String: Any]]) -> [String] {
        tasks.map { task in
            "\(task["phase"] as? String ?? "?") \(task["wave"] as? Int ?? -99) \(task["kind"] as? String ?? "?") \(task["name"] as? String ?? "?")"
        }
    }

    static func task(_ tasks: [[String: Any]], named name: String, phase: String? = nil) throws -> [String: Any] {
        try #require(tasks.first { $0["name"] as? String == name && (phase == nil || $0["phase"] as? String == phase) }, "no task \(name)")
    }

    static func hookJob(_ name: String, hook: String, script: String, deletePolicy: String? = nil) -> String {
        let policy = deletePolicy.map { "\n    argocd.argoproj.io/hook-delete-policy: \($0)" } ?? ""
        return """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: \(name)
              annotations:
                argocd.argoproj.io/hook: \(hook)\(policy)
            spec:
              backoffLimit: 0
              template:
                spec:
                  restartPolicy: Never
                  containers:
                    - name: main
                      image: alpine:3.19
                      command: [sh, -c, "\(script)"]

            """
    }

    static func configMap(_ name: String, _ data: [String: String]) -> String {
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \(name)\ndata:\n"
            + data.sorted { $0.key < $1.key }.map { "  \($0.key): \"\($0.value)\"\n" }.joined()
    }

    static let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          replicas: 1
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
                - name: web
                  image: nginx:1.25

        """

    /// `app/`: a PreSync migration, a ConfigMap, a Deployment and a PostSync smoke test.
    static func writeShop(_ work: GitRepository, greeting: String = "hello") throws {
        try work.write(hookJob("migrate", hook: "PreSync", script: "echo migrating schema v1"), to: "app/migrate.yaml")
        try work.write(configMap("settings", ["greeting": greeting]), to: "app/settings.yaml")
        try work.write(deployment, to: "app/web.yaml")
        try work.write(hookJob("smoke", hook: "PostSync", script: "echo smoke test passed"), to: "app/smoke.yaml")
        try work.write("# not part of the app\n", to: "README.md")
    }

    // MARK: sync, history, show

    @Test("sync runs PreSync, Sync and PostSync on the embedded cluster and records the attempt for history and show")
    func syncRecordsTheAttempt() async throws {
        let ws = try Workspace("cli-sync")
        try Self.writeShop(ws.work)
        let head = try ws.work.commit("Deploy web\n\nWith a migration.")

        let result = try await ws.run("sync", ["--path", "app", "--app", "shop", "--output", "json"])
        #expect(result.exitCode == 0, "\(result.errorOutput)")
        #expect(result.errorOutput.contains("embedded LocalCluster"), "\(result.errorOutput)")
        #expect(result.errorOutput.contains(ws.kubeconfig.path), "\(result.errorOutput)")
        #expect(FileManager.default.fileExists(atPath: ws.kubeconfig.path))

        let synced = try Self.object(result)
        #expect(synced["app"] as? String == "shop")
        #expect(synced["revision"] as? String == head)
        #expect(synced["ref"] as? String == "refs/heads/main")
        #expect(synced["outcome"] as? String == "Succeeded")
        #expect(synced["trigger"] as? String == "manual")
        #expect((synced["message"] as? String)?.hasPrefix("Deploy web") == true)
        let tasks = try Self.tasks(synced)
        #expect(Self.order(tasks) == ["PreSync 0 Job migrate", "Sync 0 ConfigMap settings", "Sync 0 Deployment web", "PostSync 0 Job smoke"])
        #expect(tasks.map { $0["hook"] as? Bool } == [true, false, false, true])
        #expect(tasks.map { $0["action"] as? String } == ["created", "created", "created", "created"])
        #expect(tasks.map { $0["status"] as? String } == ["Succeeded", "Succeeded", "Succeeded", "Succeeded"])
        #expect(tasks.map { $0["namespace"] as? String } == ["default", "default", "default", "default"])
        #expect(tasks.map { $0["group"] as? String } == ["batch", "", "apps", "batch"])
        #expect((try Self.task(tasks, named: "migrate")["log"] as? String)?.contains("migrating schema v1") == true)
        #expect((try Self.task(tasks, named: "smoke")["log"] as? String)?.contains("smoke test passed") == true)
        let changes = try #require(synced["changes"] as? [String: [String]])
        #expect(changes["created"]?.sorted() == ["/ConfigMap/default/settings", "apps/Deployment/default/web"])
        #expect(changes["configured"] == [])
        #expect(changes["pruned"] == [])

        let history = try await ws.sluice(["history", "--state-dir", ws.state, "--output", "json"])
        #expect(history.exitCode == 0, "\(history.errorOutput)")
        let entries = try Self.array(history)
        #expect(entries.map { $0["revision"] as? String } == [head])
        #expect(entries.first?["app"] as? String == "shop")
        #expect(entries.first?["outcome"] as? String == "Succeeded")
        #expect(entries.first?["phaseReached"] as? String == "PostSync")

        let show = try await ws.sluice(["show", String(head.prefix(8)), "--state-dir", ws.state, "--output", "json"])
        #expect(show.exitCode == 0, "\(show.errorOutput)")
        let shown = try Self.object(show)
        #expect(shown["revision"] as? String == head)
        #expect(shown["outcome"] as? String == "Succeeded")
        #expect(Self.order(try Self.tasks(shown)) == Self.order(tasks))
        #expect(shown["changes"] as? [String: [String]] == changes)

        let showText = try await ws.sluice(["show", head, "--state-dir", ws.state])
        #expect(showText.exitCode == 0, "\(showText.errorOutput)")
        #expect(showText.output.contains("migrating schema v1"))
    }

    @Test("sync without a new commit runs the hooks again as a manual sync, --every-commit records it Unchanged, and --full re-applies everything")
    func syncAgainWithoutANewCommit() async throws {
        let ws = try Workspace("cli-sync-again")
        try Self.writeShop(ws.work)
        let head = try ws.work.commit("Deploy web")
        let first = try await ws.run("sync", ["--path", "app", "--app", "shop"])
        #expect(first.exitCode == 0, "\(first.errorOutput)")
        #expect(first.output.contains("Succeeded"), "\(first.output)")

        // A manual sync runs the whole lifecycle, hooks included, but sends no unchanged object again.
        let again = try await ws.run("sync", ["--path", "app", "--app", "shop", "--output", "json"])
        #expect(again.exitCode == 0, "\(again.errorOutput)")
        let manual = try Self.object(again)
        #expect(manual["outcome"] as? String == "Succeeded")
        #expect(manual["revision"] as? String == head)
        let manualTasks = try Self.tasks(manual)
        #expect(Self.order(manualTasks.filter { $0["hook"] as? Bool == true }) == ["PreSync 0 Job migrate", "PostSync 0 Job smoke"])
        #expect((try Self.task(manualTasks, named: "migrate")["log"] as? String)?.contains("migrating schema v1") == true)
        for task in manualTasks where task["hook"] as? Bool == false {
            #expect(task["action"] as? String == "unchanged", "\(task)")
        }
        let manualChanges = try #require(manual["changes"] as? [String: [String]])
        #expect(manualChanges["created"] == [] && manualChanges["configured"] == [], "\(manualChanges)")

        // Replaying commits skips those that change nothing under the path: no new commit, nothing to run.
        let replay = try await ws.run("sync", ["--path", "app", "--app", "shop", "--every-commit", "--output", "json"])
        #expect(replay.exitCode == 0, "\(replay.errorOutput)")
        let unchanged = try Self.object(replay)
        #expect(unchanged["outcome"] as? String == "Unchanged")
        #expect(unchanged["revision"] as? String == head)
        #expect(try Self.tasks(unchanged).isEmpty)

        // A commit outside the path changes nothing of the app either.
        try ws.work.write("# docs\n", to: "README.md")
        let docs = try ws.work.commit("Touch the README")
        let outside = try await ws.run("sync", ["--path", "app", "--app", "shop", "--every-commit", "--output", "json"])
        #expect(outside.exitCode == 0, "\(outside.errorOutput)")
        let outsideObject = try Self.object(outside)
        #expect(outsideObject["revision"] as? String == docs)
        #expect(outsideObject["outcome"] as? String == "Unchanged")

        let full = try await ws.run("sync", ["--path", "app", "--app", "shop", "--full", "--output", "json"])
        #expect(full.exitCode == 0, "\(full.errorOutput)")
        let fullObject = try Self.object(full)
        #expect(fullObject["outcome"] as? String == "Succeeded")
        let tasks = try Self.tasks(fullObject)
        #expect(Self.order(tasks) == ["PreSync 0 Job migrate", "Sync 0 ConfigMap settings", "Sync 0 Deployment web", "PostSync 0 Job smoke"])
        #expect(tasks.allSatisfy { $0["status"] as? String == "Succeeded" }, "\(tasks)")
        #expect((try Self.task(tasks, named: "migrate")["log"] as? String)?.contains("migrating schema v1") == true)

        let history = try Self.array(try await ws.sluice(["history", "--app", "shop", "--state-dir", ws.state, "--output", "json"]))
        #expect(history.map { $0["outcome"] as? String } == ["Succeeded", "Unchanged", "Unchanged", "Succeeded", "Succeeded"])
        #expect(history.map { $0["revision"] as? String } == [docs, docs, head, head, head])
    }

    @Test("a failing PreSync hook fails the sync with exit 1, runs the SyncFail hook, and show has the hook's log")
    func failingPreSync() async throws {
        let ws = try Workspace("cli-sync-fail")
        try ws.work.write(Self.hookJob("migrate", hook: "PreSync", script: "echo cannot reach the database; exit 3"), to: "app/migrate.yaml")
        try ws.work.write(Self.hookJob("cleanup", hook: "SyncFail", script: "echo rolling back"), to: "app/cleanup.yaml")
        try ws.work.write(Self.configMap("settings", ["greeting": "hello"]), to: "app/settings.yaml")
        let head = try ws.work.commit("Break the migration")

        let result = try await ws.run("sync", ["--path", "app", "--app", "shop"])
        #expect(result.exitCode == 1, "\(result.errorOutput)")
        #expect(result.output.contains("Failed"), "\(result.output)")

        let show = try await ws.sluice(["show", head, "--app", "shop", "--state-dir", ws.state, "--output", "json"])
        #expect(show.exitCode == 0, "\(show.errorOutput)")
        let shown = try Self.object(show)
        #expect(shown["outcome"] as? String == "Failed")
        #expect(shown["phaseReached"] as? String != "Sync")
        let tasks = try Self.tasks(shown)
        #expect(Self.order(tasks) == ["PreSync 0 Job migrate", "SyncFail 0 Job cleanup"])
        let migrate = try Self.task(tasks, named: "migrate")
        #expect(migrate["status"] as? String == "Failed")
        #expect((migrate["log"] as? String)?.contains("cannot reach the database") == true)
        let cleanup = try Self.task(tasks, named: "cleanup")
        #expect(cleanup["status"] as? String == "Succeeded")
        #expect((cleanup["log"] as? String)?.contains("rolling back") == true)
        #expect(!tasks.contains { $0["name"] as? String == "settings" }, "nothing is applied after a failed PreSync")

        let text = try await ws.sluice(["show", head, "--state-dir", ws.state])
        #expect(text.output.contains("cannot reach the database"))
    }

    // MARK: Exit codes

    @Test("usage errors exit 2 and leave no state behind", arguments: [
        ["sync", "--repo", "REPO", "--timeout", "abc"],
        ["sync", "--repo", "REPO", "--hook-timeout", "soon"],
        ["sync", "--repo", "REPO", "--branch", "x", "--tag", "y"],
        ["sync"],
        ["sync", "--repo", "ftp://example.com/x.git"],
        ["sync", "--repo", "REPO", "--output", "yaml"],
        ["plan"],
        ["plan", "--repo", "REPO", "--health-timeout", "0s"],
        ["diff", "--repo", "REPO", "--commit", "abc", "--semver", "^1"],
    ])
    func usageErrors(_ arguments: [String]) async throws {
        let ws = try Workspace("cli-sync-usage")
        try ws.work.write(Self.configMap("settings", ["a": "1"]), to: "app/settings.yaml")
        try ws.work.commit("Add settings")
        let result = try await ws.sluice(arguments.map { $0 == "REPO" ? ws.work.path : $0 } + ["--state-dir", ws.state])
        #expect(result.exitCode == 2, "\(arguments): \(result.errorOutput)")
        #expect(!result.errorOutput.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: ws.state + "/local-cluster"), "a usage error starts no cluster: \(arguments)")
    }

    @Test("a source that cannot be fetched exits 3")
    func unreachableSource() async throws {
        let ws = try Workspace("cli-sync-source")
        let refusing = try Loopback.refusingPort()
        let port = refusing.port
        defer { withExtendedLifetime(refusing) {} }
        for repo in ["file://\(ws.directory.path)/no-such-repo", "git://127.0.0.1:\(port)/app.git"] {
            let sync = try await ws.sluice(["sync", "--repo", repo, "--state-dir", ws.state, "--git-timeout", "10s"])
            #expect(sync.exitCode == 3, "\(repo): \(sync.errorOutput)")
            #expect(!sync.errorOutput.isEmpty)
            let plan = try await ws.sluice(["plan", "--repo", repo, "--state-dir", ws.state, "--git-timeout", "10s"])
            #expect(plan.exitCode == 3, "\(repo): \(plan.errorOutput)")
        }
        let history = try await ws.sluice(["history", "--state-dir", ws.state, "--output", "json"])
        #expect(try Self.array(history).isEmpty, "an unfetchable source records no attempt")
    }

    @Test("a cluster that cannot be reached exits 4")
    func unreachableCluster() async throws {
        let ws = try Workspace("cli-sync-cluster")
        try ws.work.write(Self.configMap("settings", ["a": "1"]), to: "app/settings.yaml")
        try ws.work.commit("Add settings")
        // A real LocalCluster kubeconfig, pointed at a closed port.
        let cluster = try await RunningCluster(ws)
        let original = try String(contentsOf: cluster.kubeconfig, encoding: .utf8)
        cluster.stop()
        let server = try #require(original.split(separator: "\n").first { $0.contains("server: https://127.0.0.1:") })
        let closed = "    server: https://127.0.0.1:\(try Loopback.freePort())"
        let broken = ws.directory.appending("closed-kubeconfig")
        try original.replacingOccurrences(of: String(server), with: closed).write(to: broken, atomically: true, encoding: .utf8)

        for command in ["sync", "plan"] {
            let result = try await ws.run(command, ["--path", "app", "--kubeconfig", broken.path])
            #expect(result.exitCode == 4, "\(command): \(result.errorOutput)")
            #expect(result.errorOutput.contains("127.0.0.1"), "\(result.errorOutput)")
            #expect(!result.errorOutput.contains("embedded LocalCluster"))
        }
        // Sync and plan fetch while the cluster is reached; with both out of reach, the cluster is
        // still the error reported.
        for command in ["sync", "plan"] {
            let neither = try await ws.sluice([
                command, "--repo", "file://\(ws.directory.path)/no-such-repo", "--kubeconfig", broken.path, "--state-dir", ws.state,
            ])
            #expect(neither.exitCode == 4, "\(command): \(neither.errorOutput)")
            #expect(neither.errorOutput.contains("127.0.0.1"), "\(command): \(neither.errorOutput)")
        }
        let missing = try await ws.run("sync", ["--path", "app", "--kubeconfig", ws.directory.appending("nope").path])
        #expect(missing.exitCode == 2, "a kubeconfig that does not exist is a configuration error: \(missing.errorOutput)")
    }

    // MARK: plan

    /// How many server-side apply dry runs of ConfigMaps the cluster has served, from its
    /// `/metrics` (`apiserver_request_total`, as a kube-apiserver counts them).
    static func configMapApplyDryRuns(_ cluster: RunningCluster) async throws -> Int {
        let metrics = try await cluster.kubectl(["get", "--raw", "/metrics"])
        #expect(metrics.exitCode == 0, "\(metrics.errorOutput)")
        return metrics.output.split(separator: "\n")
            .filter { $0.hasPrefix("apiserver_request_total{") && $0.contains("dry_run=\"All\"") && $0.contains("resource=\"configmaps\"") && $0.contains("verb=\"APPLY\"") }
            .compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }
            .reduce(0, +)
    }

    @Test("plan lists every task as created before the first sync, then only what a commit changes, and changes nothing")
    func planChangesNothing() async throws {
        let ws = try Workspace("cli-plan")
        try Self.writeShop(ws.work)
        try ws.work.write(Self.configMap("legacy", ["old": "yes"]), to: "app/legacy.yaml")
        let first = try ws.work.commit("Deploy web")
        let cluster = try await RunningCluster(ws)
        defer { cluster.stop() }

        let before = try await ws.run("plan", ["--path", "app", "--app", "shop", "--output", "json"])
        #expect(before.exitCode == 0, "\(before.errorOutput)")
        let initial = try Self.object(before)
        #expect(initial["revision"] as? String == first)
        #expect(initial["baseRevision"] is NSNull)
        #expect((initial["changedFiles"] as? [String])?.sorted() == ["app/legacy.yaml", "app/migrate.yaml", "app/settings.yaml", "app/smoke.yaml", "app/web.yaml"])
        let initialTasks = try Self.tasks(initial)
        #expect(Self.order(initialTasks) == [
            "PreSync 0 Job migrate", "Sync 0 ConfigMap legacy", "Sync 0 ConfigMap settings", "Sync 0 Deployment web", "PostSync 0 Job smoke",
        ])
        #expect(initialTasks.allSatisfy { $0["action"] as? String == "created" }, "\(initialTasks)")
        #expect(initialTasks.map { $0["hook"] as? Bool } == [true, false, false, false, true])
        #expect(initialTasks.allSatisfy { $0["namespace"] as? String == "default" })
        let nothing = try await cluster.kubectl(["get", "configmaps,deployments,jobs", "-n", "default", "-o", "name"])
        #expect(nothing.exitCode == 0, "\(nothing.errorOutput)")
        #expect(!nothing.output.contains("settings") && !nothing.output.contains("web") && !nothing.output.contains("migrate"),
                "plan created nothing: \(nothing.output)")

        let sync = try await ws.run("sync", ["--path", "app", "--app", "shop"])
        #expect(sync.exitCode == 0, "\(sync.errorOutput)")
        let applied = try await cluster.kubectl(["get", "configmap", "settings", "-n", "default", "-o", "jsonpath={.data.greeting}"])
        #expect(applied.output == "hello", "sync used the running local cluster: \(applied.errorOutput)")

        try Self.writeShop(ws.work, greeting: "bonjour")
        try ws.work.remove("app/legacy.yaml")
        let second = try ws.work.commit("Say bonjour, drop legacy")
        let dryRunsBefore = try await Self.configMapApplyDryRuns(cluster)
        let after = try await ws.run("plan", ["--path", "app", "--app", "shop", "--output", "json"])
        #expect(after.exitCode == 0, "\(after.errorOutput)")
        // One server-side dry run of the changed ConfigMap: the validation's answer is the one
        // compared with the live object (the cluster's apiserver_request_total counts them).
        #expect(try await Self.configMapApplyDryRuns(cluster) - dryRunsBefore == 1)
        // A small change is planned over one connection: each request waits for the warm one rather
        // than opening another (and its TLS handshake) to LocalCluster, which speaks HTTP/1.1.
        let kubeconfigText = try String(contentsOf: cluster.kubeconfig, encoding: .utf8)
        let server = try #require(kubeconfigText.range(of: #"https://127\.0\.0\.1:\d+"#, options: .regularExpression))
        let proxy = try await CountingProxy.start(mode: .forward(port: try #require(UInt16(kubeconfigText[server].split(separator: ":").last ?? ""))))
        let proxied = ws.directory.appending("proxied-kubeconfig")
        try Data(kubeconfigText.replacingCharacters(in: server, with: "https://\(proxy.address)").utf8).write(to: proxied)
        let viaProxy = try await ws.run("plan", ["--path", "app", "--app", "shop", "--output", "json", "--kubeconfig", proxied.path])
        #expect(viaProxy.exitCode == 0, "\(viaProxy.errorOutput)")
        #expect(viaProxy.stdout == after.stdout, "the same plan through the proxy")
        try await proxy.waitUntilIdle()
        let connections = try proxy.statistics()
        #expect(connections.connectionCount == 1, "\(connections) \(viaProxy.errorOutput)")
        let planned = try Self.object(after)
        #expect(planned["revision"] as? String == second)
        #expect(planned["baseRevision"] as? String == first)
        #expect((planned["changedFiles"] as? [String])?.sorted() == ["app/legacy.yaml", "app/settings.yaml"])
        let tasks = try Self.tasks(planned)
        #expect(try Self.task(tasks, named: "settings")["action"] as? String == "configured")
        let legacyTask = try Self.task(tasks, named: "legacy")
        #expect(legacyTask["action"] as? String == "pruned")
        #expect(Self.order([legacyTask]) == ["Sync 0 ConfigMap legacy"], "a prune runs in its wave's group")
        // An incremental plan reads only the changed files and those with hooks; the rest is unchanged.
        for task in tasks where task["hook"] as? Bool == false && !["settings", "legacy"].contains(task["name"] as? String ?? "") {
            #expect(task["action"] as? String == "unchanged", "\(task)")
        }
        let fullPlan = try await ws.run("plan", ["--path", "app", "--app", "shop", "--full", "--output", "json"])
        #expect(fullPlan.exitCode == 0, "\(fullPlan.errorOutput)")
        let fullTasks = try Self.tasks(try Self.object(fullPlan))
        #expect(try Self.task(fullTasks, named: "web")["action"] as? String == "unchanged")
        #expect(try Self.task(fullTasks, named: "settings")["action"] as? String == "configured")
        #expect(try Self.task(fullTasks, named: "legacy")["action"] as? String == "pruned")

        let text = try await ws.run("plan", ["--path", "app", "--app", "shop"])
        #expect(text.exitCode == 0, "\(text.errorOutput)")
        #expect(text.output.contains("settings") && text.output.contains("configured"), "\(text.output)")

        let greeting = try await cluster.kubectl(["get", "configmap", "settings", "-n", "default", "-o", "jsonpath={.data.greeting}"])
        #expect(greeting.exitCode == 0, "\(greeting.errorOutput)")
        #expect(greeting.output == "hello", "plan left the live ConfigMap alone")
        let legacy = try await cluster.kubectl(["get", "configmap", "legacy", "-n", "default", "-o", "name"])
        #expect(legacy.exitCode == 0, "plan pruned nothing: \(legacy.errorOutput)")
        let history = try Self.array(try await ws.sluice(["history", "--state-dir", ws.state, "--output", "json"]))
        #expect(history.count == 1, "plan records no attempt")

        // The sync then does what the plan said.
        let secondSync = try await ws.run("sync", ["--path", "app", "--app", "shop", "--output", "json"])
        #expect(secondSync.exitCode == 0, "\(secondSync.errorOutput)")
        let syncedTasks = try Self.tasks(try Self.object(secondSync))
        #expect(try Self.task(syncedTasks, named: "settings")["action"] as? String == "configured")
        #expect(try Self.task(syncedTasks, named: "legacy")["action"] as? String == "pruned")
        let updated = try await cluster.kubectl(["get", "configmap", "settings", "-n", "default", "-o", "jsonpath={.data.greeting}"])
        #expect(updated.output == "bonjour")
        let pruned = try await cluster.kubectl(["get", "configmap", "legacy", "-n", "default", "--ignore-not-found", "-o", "name"])
        #expect(pruned.exitCode == 0 && pruned.trimmedOutput.isEmpty, "\(pruned.output)")
    }

    // MARK: diff

    @Test("diff lists created, configured and pruned objects, and still works from the ledger with the Git server down")
    func diffFromGitAndFromTheLedger() async throws {
        let ws = try Workspace("cli-diff")
        let daemon = try await GitDaemonServer.start()
        defer { daemon.stop() }
        let bare = try daemon.createRepository(named: "shop")
        try ws.work.write(Self.configMap("settings", ["greeting": "hello"]), to: "app/settings.yaml")
        try ws.work.write(Self.configMap("legacy", ["old": "yes"]), to: "app/legacy.yaml")
        try ws.work.write(Self.deployment, to: "app/web.yaml")
        let a = try ws.work.commit("First")
        try ws.work.mirror(to: bare)
        let source = ["--repo", daemon.url(for: "shop"), "--path", "app", "--app", "shop", "--state-dir", ws.state]
        let first = try await ws.sluice(["sync"] + source)
        #expect(first.exitCode == 0, "\(first.errorOutput)")

        try ws.work.write(Self.configMap("settings", ["greeting": "bonjour"]), to: "app/settings.yaml")
        try ws.work.write(Self.configMap("features", ["beta": "on"]), to: "app/features.yaml")
        try ws.work.remove("app/legacy.yaml")
        let b = try ws.work.commit("Second")
        try ws.work.mirror(to: bare)
        let second = try await ws.sluice(["sync"] + source)
        #expect(second.exitCode == 0, "\(second.errorOutput)")

        func check(_ result: ProcessResult, from: String) throws {
            #expect(result.exitCode == 0, "\(result.errorOutput)")
            let diff = try Self.object(result)
            #expect(diff["from"] as? String == a)
            #expect(diff["to"] as? String == b)
            #expect(diff["fromSource"] as? String == from)
            #expect(diff["toSource"] as? String == from)
            #expect(diff["created"] as? [String] == ["/ConfigMap/default/features"])
            #expect(diff["configured"] as? [String] == ["/ConfigMap/default/settings"])
            #expect(diff["pruned"] as? [String] == ["/ConfigMap/default/legacy"])
            #expect(diff["unchanged"] as? [String] == ["apps/Deployment/default/web"])
            #expect((diff["diff"] as? String)?.contains("bonjour") == true)
        }
        let online = try await ws.sluice(["diff"] + source + ["--from", a, "--to", b, "--output", "json"])
        try check(online, from: "git")
        let text = try await ws.sluice(["diff"] + source + ["--from", String(a.prefix(8)), "--to", String(b.prefix(8))])
        #expect(text.exitCode == 0, "\(text.errorOutput)")
        #expect(text.output.contains("1 created, 1 configured, 1 pruned, 1 unchanged"), "\(text.output)")

        daemon.stop()
        // With the server down the mirror in the state directory still has both commits.
        let offline = try await ws.sluice(["diff"] + source + ["--from", a, "--to", b, "--output", "json", "--git-timeout", "10s"])
        try check(offline, from: "git")
        // Without the mirror either, the ledger's record of both revisions answers.
        let mirrors = try FileManager.default.contentsOfDirectory(atPath: ws.state).filter { !$0.hasPrefix("ledger") && $0 != "local-cluster" }
        #expect(!mirrors.isEmpty, "the state directory holds a mirror")
        for entry in mirrors { try FileManager.default.removeItem(atPath: ws.state + "/" + entry) }
        let ledgerOnly = try await ws.sluice(["diff"] + source + ["--from", a, "--to", String(b.prefix(10)), "--output", "json", "--git-timeout", "10s"])
        try check(ledgerOnly, from: "ledger")
        let defaults = try await ws.sluice(["diff"] + source + ["--to", b, "--output", "json", "--git-timeout", "10s"])
        #expect(defaults.exitCode == 0, "--from defaults to the last applied revision: \(defaults.errorOutput)")
        #expect(try Self.object(defaults)["from"] as? String == b)
        let unknown = try await ws.sluice(["diff"] + source + ["--from", "deadbeef", "--to", b, "--git-timeout", "10s"])
        #expect(unknown.exitCode == 3, "\(unknown.errorOutput)")
    }

    // MARK: --every-commit

    @Test("sync --every-commit replays each new commit in order, each running its own migration")
    func everyCommit() async throws {
        let ws = try Workspace("cli-every-commit")
        try ws.work.write(Self.configMap("schema", ["version": "0"]), to: "app/schema.yaml")
        let base = try ws.work.commit("Schema 0")
        let first = try await ws.run("sync", ["--path", "app", "--app", "db"])
        #expect(first.exitCode == 0, "\(first.errorOutput)")

        var commits: [String] = []
        for number in 1...3 {
            try ws.work.write(
                Self.hookJob("migrate-\(number)", hook: "PreSync", script: "echo running migration \(number)", deletePolicy: "BeforeHookCreation"),
                to: "app/migrate.yaml")
            try ws.work.write(Self.configMap("schema", ["version": "\(number)"]), to: "app/schema.yaml")
            commits.append(try ws.work.commit("Migration \(number)"))
        }
        let result = try await ws.run("sync", ["--path", "app", "--app", "db", "--every-commit", "--output", "json"])
        #expect(result.exitCode == 0, "\(result.errorOutput)")
        let attempts = try Self.array(result)
        #expect(attempts.map { $0["revision"] as? String } == commits)
        #expect(attempts.map { $0["outcome"] as? String } == ["Succeeded", "Succeeded", "Succeeded"])

        let history = try Self.array(try await ws.sluice(["history", "--app", "db", "--state-dir", ws.state, "--output", "json"]))
        #expect(history.map { $0["revision"] as? String } == commits.reversed() + [base])
        #expect(history.map { $0["outcome"] as? String } == ["Succeeded", "Succeeded", "Succeeded", "Succeeded"])
        for (index, commit) in commits.enumerated() {
            let number = index + 1
            let show = try await ws.sluice(["show", commit, "--app", "db", "--state-dir", ws.state, "--output", "json"])
            #expect(show.exitCode == 0, "\(show.errorOutput)")
            let tasks = try Self.tasks(try Self.object(show))
            let hooks = tasks.filter { $0["phase"] as? String == "PreSync" }
            #expect(hooks.map { $0["name"] as? String } == ["migrate-\(number)"])
            #expect((hooks.first?["log"] as? String)?.contains("running migration \(number)") == true)
            #expect(try Self.task(tasks, named: "schema")["action"] as? String == "configured")
        }

        let again = try await ws.run("sync", ["--path", "app", "--app", "db", "--every-commit", "--output", "json"])
        #expect(again.exitCode == 0, "\(again.errorOutput)")
        #expect(try Self.object(again)["outcome"] as? String == "Unchanged")
    }

    // MARK: Argo CD samples

    @Test("the Argo CD example apps sync unchanged, in the documented order of phases, waves and kinds")
    func argoCDSamples() async throws {
        let ws = try Workspace("cli-argocd-samples")
        let samples = URL(fileURLWithPath: "/work/shared/samples/argocd-example-apps")
        for name in ["sync-waves", "helm-hooks", "guestbook"] {
            try FileManager.default.copyItem(at: samples.appendingPathComponent(name), to: ws.work.url.appendingPathComponent(name))
        }
        let head = try ws.work.commit("Argo CD examples")
        // sync-waves and helm-hooks both define frontend objects: give each its own namespace.
        let cluster = try await RunningCluster(ws)
        defer { cluster.stop() }
        for namespace in ["waves", "helm"] {
            let created = try await cluster.kubectl(["create", "namespace", namespace])
            #expect(created.exitCode == 0, "\(created.errorOutput)")
        }

        let waves = try await ws.run("sync", ["--path", "sync-waves", "--app", "sync-waves", "--namespace", "waves", "--output", "json"])
        #expect(waves.exitCode == 0, "\(waves.errorOutput)")
        let wavesObject = try Self.object(waves)
        #expect(wavesObject["revision"] as? String == head)
        #expect(wavesObject["outcome"] as? String == "Succeeded")
        let wavesTasks = try Self.tasks(wavesObject)
        #expect(Array(Self.order(wavesTasks).dropFirst()) == [
            "Sync 0 Service backend", "Sync 0 ReplicaSet backend", "Sync 1 Job maint-page-up",
            "Sync 2 Service frontend", "Sync 2 ReplicaSet frontend", "Sync 3 Job maint-page-down",
        ])
        let schema = try #require(wavesTasks.first)
        #expect(schema["phase"] as? String == "PreSync")
        #expect(schema["kind"] as? String == "Job")
        // generateName: the prefix plus a name of the revision, phase and attempt start.
        let schemaName = try #require(schema["name"] as? String)
        #expect(schemaName.hasPrefix("upgrade-sql-schema") && schemaName.contains("\(head.prefix(7))-presync-"), "\(schemaName)")
        #expect(wavesTasks.allSatisfy { $0["status"] as? String == "Succeeded" && $0["namespace"] as? String == "waves" })
        #expect(wavesTasks.map { $0["hook"] as? Bool } == [true, false, false, true, false, false, true])

        let helm = try await ws.run("sync", ["--path", "helm-hooks", "--app", "helm-hooks", "--namespace", "helm", "--output", "json"])
        #expect(helm.exitCode == 0, "\(helm.errorOutput)")
        let helmObject = try Self.object(helm)
        #expect(helmObject["outcome"] as? String == "Succeeded")
        let helmTasks = try Self.tasks(helmObject)
        #expect(Array(Self.order(helmTasks).dropFirst()) == [
            "PreSync -1 Job maint-page-up", "Sync 0 ReplicaSet frontend", "Sync 2 Service frontend", "PostSync 0 Job maint-page-down",
        ])
        #expect(Self.order(helmTasks).first?.hasPrefix("PreSync -2 Job upgrade-sql-schema") == true, "\(Self.order(helmTasks))")
        #expect(helmTasks.allSatisfy { $0["status"] as? String == "Succeeded" && $0["namespace"] as? String == "helm" })

        let guestbook = try await ws.run("sync", ["--path", "guestbook", "--app", "guestbook", "--output", "json"])
        #expect(guestbook.exitCode == 0, "\(guestbook.errorOutput)")
        let guestbookObject = try Self.object(guestbook)
        #expect(guestbookObject["outcome"] as? String == "Succeeded")
        #expect(Self.order(try Self.tasks(guestbookObject)) == ["Sync 0 Service guestbook-ui", "Sync 0 Deployment guestbook-ui"])

        let history = try Self.array(try await ws.sluice(["history", "--state-dir", ws.state, "--output", "json"]))
        #expect(history.map { $0["app"] as? String } == ["guestbook", "helm-hooks", "sync-waves"])
        for (namespace, kind, name) in [("waves", "replicaset", "backend"), ("waves", "replicaset", "frontend"), ("helm", "replicaset", "frontend"),
                                        ("default", "deployment", "guestbook-ui")] {
            let live = try await cluster.kubectl(["get", kind, name, "-n", namespace, "-o", "name"])
            #expect(live.exitCode == 0, "\(namespace)/\(kind)/\(name): \(live.errorOutput)")
        }
    }
}
