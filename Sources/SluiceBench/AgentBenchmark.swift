import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport

/// `scripts/bench/agent`: the agent's running costs, against a `sluice local-cluster --run-pods`
/// and a `git daemon` on loopback, all real processes.
///
/// 1. 50 applications (one repository each: a ConfigMap and a PreSync Job) on one agent polling every
///    10 s: after their first syncs, the agent's CPU time over a minute with no commits, and its
///    resident memory.
/// 2. A burst of 50 pushes, one per repository, each announced by a signed webhook: the time from
///    each push to `Succeeded` in the ledger (median, worst), and each PreSync hook's time in the
///    ledger beside the Job's own run.
/// 3. An application of 1,000 ConfigMaps added to the configuration file while the agent runs: its
///    sync time and the agent's peak resident memory while it applies.
/// 4. (Skipped with `--cycle-apps 0`.) 1,000 applications (1,000 repositories), synced once; then the agent restarted on the same
///    state: the time of its first full no-change cycle (start to `/readyz`, every application
///    checked), and over the next cycles the CPU time per cycle and checks made.
enum AgentBenchmark {
    static let secret = "bench-webhook-secret"

    static func run(sluice: String, apps: Int, cycleApps: Int, objects: Int, idleSeconds: Int, cycleOnly: Bool = false) async throws {
        let work = try TemporaryDirectory(label: "bench-agent")
        // SLUICE_BENCH_KEEP=1 keeps the logs and state for a look afterwards.
        defer {
            if let kept = ProcessInfo.processInfo.environment["SLUICE_BENCH_KEEP"] {
                try? FileManager.default.copyItem(at: work.url, to: URL(fileURLWithPath: kept))
                print("kept in \(kept)")
            }
            work.remove()
        }
        let home = try work.makeSubdirectory("home")
        let environment = ["HOME": home.path, "KUBECONFIG": ""]
        let gitRoot = try work.makeSubdirectory("git")
        let daemon = try await GitDaemonServer.start(root: gitRoot)
        defer { daemon.stop() }

        // The cluster, with pods run as processes (the PreSync Jobs run for real).
        let cluster = try ServedCluster.start(
            sluice, data: work.appending("cluster").path, extra: ["--run-pods"], environment: environment, log: work.appending("local-cluster.log"))
        defer { cluster.stop() }
        let kubeconfig = cluster.kubeconfig

        // The namespaces, in one kubectl call.
        let names = (0..<apps).map { "bench-\($0)" } + (0..<cycleApps).map { "cycle-\($0)" } + ["big"]
        let namespaces = names.map { "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: \($0)\n" }.joined(separator: "---\n")
        let namespaceFile = work.appending("namespaces.yaml")
        try Data(namespaces.utf8).write(to: namespaceFile)
        let created = try ProcessRunner.run("kubectl", ["--kubeconfig", kubeconfig, "create", "-f", namespaceFile.path], environment: environment)
        guard created.exitCode == 0 else { throw BenchError("kubectl create namespaces: \(created.errorOutput)") }

        // The template repository: `app` (a ConfigMap and a PreSync Job) and `plain` (a ConfigMap).
        let template = try GitRepository(at: work.appending("template"))
        try template.write(configMap("settings", value: "v0"), to: "app/settings.yaml")
        try template.write(migrationJob, to: "app/migrate.yaml")
        try template.write(configMap("settings", value: "v0"), to: "plain/settings.yaml")
        try template.commit("template")
        let bareTemplate = try BareRepository(at: work.appending("template.git"))
        try template.push(to: bareTemplate)
        for index in 0..<apps { try copyRepository(bareTemplate, to: gitRoot.appendingPathComponent("app-\(index).git")) }

        let secretFile = work.appending("webhook-secret")
        try Data(secret.utf8).write(to: secretFile)
        let state = work.appending("state").path
        let config = work.appending("agent.yaml")
        var entries = (0..<apps).map { appEntry(name: "bench-\($0)", repo: daemon.url(for: "app-\($0)"), path: "app", namespace: "bench-\($0)") }
        try writeConfig(entries, to: config)

        print("Agent benchmark: sluice local-cluster --run-pods and git daemon on loopback, \(ProcessInfo.processInfo.activeProcessorCount) cores")
        var agent: Agent
        if !cycleOnly {
        print("")
        print("1. \(apps) applications (one repository each: a ConfigMap and a PreSync Job), --interval 10s")
        agent = try startAgent(sluice, config: config, state: state, kubeconfig: kubeconfig, extra: [], environment: environment, log: work.appending("agent-1.log"))
        let firstStart = Date()
        try await waitForAllSucceeded(agent, count: apps, timeout: 600)
        print(String(format: "   first syncs of all %d: %.1f s", apps, Date().timeIntervalSince(firstStart)))
        // Let the first drift checks and Events settle, then measure a quiet minute.
        try await Task.sleep(for: .seconds(5))
        let checksBefore = try await agent.metricSum("sluice_fetch_duration_seconds_count")
        let cpuBefore = try cpuSeconds(agent.process.pid)
        let clusterCPUBefore = try cpuSeconds(cluster.pid)
        var rssSamples: [Int] = []
        var anonymous = 0
        let idleEnd = Date().addingTimeInterval(Double(idleSeconds))
        while Date() < idleEnd {
            let sample = try residentKiB(agent.process.pid)
            rssSamples.append(sample.rss)
            anonymous = sample.anonymous
            try await Task.sleep(for: .seconds(1))
        }
        let idleCPU = try cpuSeconds(agent.process.pid) - cpuBefore
        let idleClusterCPU = try cpuSeconds(cluster.pid) - clusterCPUBefore
        let checks = try await agent.metricSum("sluice_fetch_duration_seconds_count") - checksBefore
        let perMinute = 60 / Double(idleSeconds)
        print(String(format: "   idle, %d s with no commits: agent CPU %.2f s per minute (%.2f%% of one core); %.0f checks (ref listings); local-cluster CPU %.2f s per minute",
                     idleSeconds, idleCPU * perMinute, idleCPU / Double(idleSeconds) * 100, checks, idleClusterCPU * perMinute))
        print(String(format: "   agent resident memory: %.1f MB steady (last; %.1f MB of it anonymous, the rest mapped files: the binary and libraries), %.1f MB most over the minute (aim: under 50 MB)",
                     Double(rssSamples.last ?? 0) / 1024, Double(anonymous) / 1024, Double(rssSamples.max() ?? 0) / 1024))
        print("   what the resident set is made of (/proc/PID/smaps, by mapping; the largest):")
        for (mapping, kib) in try residentByMapping(agent.process.pid).prefix(10) {
            print(String(format: "     %8.1f MB  %@", Double(kib) / 1024, mapping))
        }
        print("   threads: \(try threadCount(agent.process.pid)); open sockets: \(socketCount(agent.process.pid))")
        // SLUICE_BENCH_MAP=1: the resident pages by ELF section and symbol, and the thread stacks (scripts/bench/resident-map).
        if ProcessInfo.processInfo.environment["SLUICE_BENCH_MAP"] != nil {
            let map = try ProcessRunner.run("python3", ["scripts/bench/resident-map", "\(agent.process.pid)", "--symbols", "12"])
            print(map.output + map.errorOutput)
        }

        print("")
        print("2. A burst of \(apps) pushes, one per repository, each followed by a signed webhook (POST /hooks/generic)")
        var pushed: [(app: String, revision: String, at: Date)] = []
        let burstStart = Date()
        for index in 0..<apps {
            try template.write(configMap("settings", value: "burst-\(index)"), to: "app/settings.yaml")
            let revision = try template.commit("burst \(index)")
            try template.push(to: gitRoot.appendingPathComponent("app-\(index).git").path, refspecs: ["HEAD:refs/heads/main"])
            let at = Date()
            pushed.append(("bench-\(index)", revision, at))
            let status = try await agent.webhook(repository: daemon.url(for: "app-\(index)"))
            guard status == 202 else { throw BenchError("the webhook answered \(status)") }
        }
        print(String(format: "   %d pushes and webhooks sent in %.1f s", apps, Date().timeIntervalSince(burstStart)))
        var latencies: [Double] = []
        var hookTimes: [Double] = []
        var jobRunTimes: [Double] = []
        let burstDeadline = Date().addingTimeInterval(600)
        for push in pushed {
            let detail = try await agent.succeeded(app: push.app, revision: push.revision, deadline: burstDeadline, poll: .milliseconds(200))
            guard let finished = date(detail["finishedAt"]) else { throw BenchError("no finishedAt for \(push.app)") }
            latencies.append(finished.timeIntervalSince(push.at))
            if let times = preSyncTimes(detail) { hookTimes.append(times.stage) }
        }
        // One more push on its own, with no other sync competing for the agent or the API rate limit.
        try template.write(configMap("settings", value: "alone"), to: "app/settings.yaml")
        let alone = try template.commit("alone")
        try template.push(to: gitRoot.appendingPathComponent("app-0.git").path, refspecs: ["HEAD:refs/heads/main"])
        let aloneAt = Date()
        _ = try await agent.webhook(repository: daemon.url(for: "app-0"))
        let aloneDetail = try await agent.succeeded(app: "bench-0", revision: alone, deadline: burstDeadline, poll: .milliseconds(20))
        let aloneLatency = date(aloneDetail["finishedAt"]).map { $0.timeIntervalSince(aloneAt) } ?? 0
        guard let aloneTimes = preSyncTimes(aloneDetail) else { throw BenchError("the lone push ran no PreSync hook") }
        let (aloneHookRun, aloneStage) = (aloneTimes.hookRun, aloneTimes.stage)
        // The Job's own run: the same command as a process, as the cluster's kubelet runs it.
        for _ in 0..<5 {
            let start = ContinuousClock.now
            _ = try ProcessRunner.run("/bin/sh", ["-c", "echo migrated"])
            jobRunTimes.append(seconds(ContinuousClock.now - start))
        }
        print(String(format: "   push to Succeeded: median %.2f s, worst %.2f s, best %.2f s (each sync runs its PreSync Job; at most 4 syncs at once)",
                     median(latencies), latencies.max() ?? 0, latencies.min() ?? 0))
        print(String(format: "   one push alone: push to Succeeded %.2f s; its PreSync Job created to complete %.2f s, its PreSync stage (Job created to the first Sync task) %.2f s",
                     aloneLatency, aloneHookRun, aloneStage))
        print(String(format: "   PreSync stage in the burst (Job created to the first Sync task): median %.2f s, worst %.2f s; the Job's own command runs in %.3f s; hook overhead %.2f s alone, %.2f s median in the burst (aim: under 1 s)",
                     median(hookTimes), hookTimes.max() ?? 0, median(jobRunTimes), aloneStage - median(jobRunTimes), median(hookTimes) - median(jobRunTimes)))

        print("")
        print("3. An application of \(objects) ConfigMaps added to the configuration file while the agent runs")
        let big = try GitRepository(at: work.appending("big"))
        for index in 0..<objects {
            try big.write(PlanBenchmark.configMap(index, value: "v1"), to: PlanBenchmark.path(index, perDirectory: 100).replacingOccurrences(of: "app/", with: "big/"))
        }
        try big.commit("\(objects) ConfigMaps")
        let bigBare = try BareRepository(at: gitRoot.appendingPathComponent("big.git"))
        try big.push(to: bigBare)
        let rssBeforeBig = try residentKiB(agent.process.pid).rss
        entries.append(appEntry(name: "big", repo: daemon.url(for: "big"), path: "big", namespace: "big"))
        try writeConfig(entries, to: config)
        let bigStart = Date()
        var bigPeak = 0
        var bigThreads = 0
        let bigDeadline = Date().addingTimeInterval(600)
        while true {
            bigPeak = max(bigPeak, try residentKiB(agent.process.pid).rss)
            bigThreads = max(bigThreads, try threadCount(agent.process.pid))
            let (status, text) = try await agent.get("/api/v1/apps/big/history")
            if status == 200, text.contains("\"Succeeded\"") { break }
            if status == 200, text.contains("\"Failed\"") { throw BenchError("the big application failed: \(text.prefix(2000))") }
            guard Date() < bigDeadline else { throw BenchError("the big application did not sync in time") }
            try await Task.sleep(for: .milliseconds(20))
        }
        let bigSeconds = Date().timeIntervalSince(bigStart)
        let highWater = try residentKiB(agent.process.pid).highWater
        print(String(format: "   picked up and synced in %.1f s; agent resident memory %.1f MB before, %.1f MB most while applying (sampled every 20 ms), high-water mark %.1f MB (aim: under 128 MB)",
                     bigSeconds, Double(rssBeforeBig) / 1024, Double(bigPeak) / 1024, Double(highWater) / 1024))
        let after = try residentKiB(agent.process.pid)
        print(String(format: "   after it: %.1f MB resident, %.1f MB of it anonymous; threads at most %d while applying",
                     Double(after.rss) / 1024, Double(after.anonymous) / 1024, bigThreads))
        agent.process.stop()
        }
        guard cycleApps > 0 else { return }

        print("")
        print("4. \(cycleApps) applications, one repository each (a ConfigMap), --interval 10s")
        for index in 0..<cycleApps { try copyRepository(bareTemplate, to: gitRoot.appendingPathComponent("cycle-\(index).git")) }
        let cycleConfig = work.appending("cycle.yaml")
        try writeConfig((0..<cycleApps).map { appEntry(name: "cycle-\($0)", repo: daemon.url(for: "cycle-\($0)"), path: "plain", namespace: "cycle-\($0)") }, to: cycleConfig)
        let cycleState = work.appending("cycle-state").path
        agent = try startAgent(sluice, config: cycleConfig, state: cycleState, kubeconfig: kubeconfig, extra: ["--kube-qps", "0", "--drift-interval", "0"], environment: environment, log: work.appending("agent-2.log"))
        let cycleFirst = Date()
        try await waitForAllSucceeded(agent, count: cycleApps, timeout: 1800)
        print(String(format: "   first syncs of all %d (setup, --kube-qps 0): %.1f s", cycleApps, Date().timeIntervalSince(cycleFirst)))
        agent.process.stop()

        // Restarted on the same state: every application resumes from the ledger; its first tick is a check only.
        let restart = ContinuousClock.now
        agent = try startAgent(sluice, config: cycleConfig, state: cycleState, kubeconfig: kubeconfig, extra: [], environment: environment, log: work.appending("agent-3.log"))
        let listening = ContinuousClock.now
        try await waitForReady(agent, timeout: 300)
        let cycle = seconds(ContinuousClock.now - restart)
        let attemptsAfterRestart = try await agent.metricSum("sluice_syncs_total")
        print(String(format: "   restarted: listening after %.2f s; the first full cycle (every application checked, /readyz 200) %.2f s after start (aim: under 10 s); syncs it ran: %.0f",
                     seconds(listening - restart), cycle, attemptsAfterRestart))
        let steadyBefore = try await agent.metricSum("sluice_fetch_duration_seconds_count")
        let steadyCPU = try cpuSeconds(agent.process.pid)
        let steadyWindow = 30.0
        try await Task.sleep(for: .seconds(steadyWindow))
        let steadyChecks = try await agent.metricSum("sluice_fetch_duration_seconds_count") - steadyBefore
        let steadyUsed = try cpuSeconds(agent.process.pid) - steadyCPU
        let cycles = steadyWindow / 10
        let memory = try residentKiB(agent.process.pid)
        print(String(format: "   steady, %.0f s: %.0f checks (%.0f per 10 s cycle of %d applications); agent CPU %.2f s per cycle; resident memory %.1f MB",
                     steadyWindow, steadyChecks, steadyChecks / cycles, cycleApps, steadyUsed / cycles, Double(memory.rss) / 1024))
        agent.process.stop()
    }

    // MARK: - The agent process

    struct Agent {
        var process: BackgroundProcess
        var port: Int

        func get(_ path: String) async throws -> (Int, String) {
            guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else { throw BenchError("bad path \(path)") }
            let (data, response) = try await URLSession.shared.data(from: url)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }

        func webhook(repository: String) async throws -> Int {
            guard let url = URL(string: "http://127.0.0.1:\(port)/hooks/generic") else { throw BenchError("bad URL") }
            let body = try JSONSerialization.data(withJSONObject: ["repository": repository])
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.httpBody = body
            let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(AgentBenchmark.secret.utf8)))
            request.setValue("sha256=" + mac.map { String(format: "%02x", $0) }.joined(), forHTTPHeaderField: "X-Sluice-Signature-256")
            let (_, response) = try await URLSession.shared.data(for: request)
            return (response as? HTTPURLResponse)?.statusCode ?? 0
        }

        /// The ledger's record of `revision`'s attempt once it has `Succeeded` (checking every `poll`).
        func succeeded(app: String, revision: String, deadline: Date, poll: Duration) async throws -> [String: Any] {
            while true {
                guard Date() < deadline else { throw BenchError("\(app) did not sync \(revision) in time") }
                let (status, text) = try await get("/api/v1/apps/\(app)/history/\(revision)")
                if status == 200, let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
                    if object["outcome"] as? String == "Succeeded" { return object }
                    if object["outcome"] as? String == "Failed" { throw BenchError("\(app) failed to sync \(revision): \(text.prefix(2000))") }
                }
                try await Task.sleep(for: poll)
            }
        }

        /// The sum of every series of a metric.
        func metricSum(_ name: String) async throws -> Double {
            let (_, text) = try await get("/metrics")
            return text.split(separator: "\n")
                .filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
                .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
                .reduce(0, +)
        }
    }

    static func startAgent(
        _ sluice: String, config: URL, state: String, kubeconfig: String, extra: [String], environment: [String: String], log: URL
    ) throws -> Agent {
        let process = try BackgroundProcess(
            sluice,
            ["agent", "--config", config.path, "--state-dir", state, "--kubeconfig", kubeconfig, "--listen", "127.0.0.1:0",
             "--interval", "10s", "--webhook-secret-file", secretFileBeside(config)] + extra,
            environment: environment, logFile: log)
        var port = 0
        try waitFor("the agent to listen", timeout: 60) {
            guard process.isRunning else { throw BenchError("the agent exited: \(process.log().suffix(3000))") }
            let log = process.log()
            guard let range = log.range(of: #"address["=:]+127\.0\.0\.1:\d+"#, options: .regularExpression),
                let found = Int(log[range].split(separator: ":").last ?? "")
            else { return false }
            port = found
            return true
        }
        return Agent(process: process, port: port)
    }

    static func secretFileBeside(_ config: URL) -> String {
        config.deletingLastPathComponent().appendingPathComponent("webhook-secret").path
    }

    static func waitForAllSucceeded(_ agent: Agent, count: Int, timeout: Double) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let (status, text) = try await agent.get("/api/v1/apps")
            if status == 200, let apps = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], apps.count == count {
                let succeeded = apps.filter { $0["lastOutcome"] as? String == "Succeeded" }.count
                if succeeded == count { return }
                if let failed = apps.first(where: { $0["lastOutcome"] as? String == "Failed" }) {
                    throw BenchError("an application failed: \(failed)")
                }
            }
            guard Date() < deadline, agent.process.isRunning else { throw BenchError("the first syncs did not finish: \(agent.process.log().suffix(3000))") }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    static func waitForReady(_ agent: Agent, timeout: Double) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try await agent.get("/readyz").0 != 200 {
            guard Date() < deadline, agent.process.isRunning else { throw BenchError("the agent did not become ready: \(agent.process.log().suffix(3000))") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: - Fixtures

    static func appEntry(name: String, repo: String, path: String, namespace: String) -> String {
        "  - name: \(name)\n    repo: \(repo)\n    branch: main\n    path: \(path)\n    namespace: \(namespace)\n"
    }

    /// Writes the configuration atomically (the agent re-reads it while running).
    static func writeConfig(_ entries: [String], to url: URL) throws {
        try Data(("apps:\n" + entries.joined()).utf8).write(to: url, options: .atomic)
    }

    static func copyRepository(_ bare: BareRepository, to destination: URL) throws {
        try FileManager.default.copyItem(at: bare.url, to: destination)
    }

    static func configMap(_ name: String, value: String) -> String {
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \(name)\ndata:\n  value: \(value)\n"
    }

    static let migrationJob = """
        apiVersion: batch/v1
        kind: Job
        metadata:
          generateName: migrate-
          annotations:
            argocd.argoproj.io/hook: PreSync
            argocd.argoproj.io/hook-delete-policy: HookSucceeded
        spec:
          backoffLimit: 0
          template:
            spec:
              restartPolicy: Never
              containers:
                - name: migrate
                  image: alpine:3.20
                  command: ["sh", "-c", "echo migrated"]

        """

    // MARK: - Measuring

    /// From an attempt's record: its PreSync hook's run (created to complete) and the PreSync stage
    /// (the hook created to the first Sync task).
    static func preSyncTimes(_ detail: [String: Any]) -> (hookRun: Double, stage: Double)? {
        let tasks = detail["tasks"] as? [[String: Any]] ?? []
        guard let hook = tasks.first(where: { ($0["hook"] as? Bool) == true && ($0["phase"] as? String) == "PreSync" }),
            let start = date(hook["startedAt"]), let finished = date(hook["finishedAt"]),
            let sync = date(tasks.first(where: { ($0["phase"] as? String) == "Sync" })?["startedAt"])
        else { return nil }
        return (finished.timeIntervalSince(start), sync.timeIntervalSince(start))
    }

    /// User plus system CPU seconds of a process so far (`/proc/PID/stat`).
    static func cpuSeconds(_ pid: Int32) throws -> Double {
        let text = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        guard let close = text.lastIndex(of: ")") else { throw BenchError("cannot read /proc/\(pid)/stat") }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { throw BenchError("cannot parse /proc/\(pid)/stat") }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident memory by mapping (`/proc/PID/smaps`), largest first, in KiB: each file by its name
    /// (the binary, libFoundation, ICU data), `[heap]`, `[stack]`, and anonymous mappings together.
    static func residentByMapping(_ pid: Int32) throws -> [(String, Int)] {
        // Read to the end: /proc files report a size of 0, and a sized read would stop short.
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/smaps") else { throw BenchError("cannot read /proc/\(pid)/smaps") }
        defer { try? handle.close() }
        let text = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var totals: [String: Int] = [:]
        var current = "[anonymous]"
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.contains("-") && !first.hasSuffix(":") {
                // A mapping's header: address range, perms, offset, device, inode, [path].
                let path = fields.count > 5 ? fields[5...].joined(separator: " ") : ""
                current = path.isEmpty ? "[anonymous]" : (path.hasPrefix("[") ? path : String(path.split(separator: "/").last ?? Substring(path)))
            } else if first == "Rss:", fields.count > 1, let kib = Int(fields[1]) {
                totals[current, default: 0] += kib
            }
        }
        return totals.sorted { $0.value > $1.value }
    }

    /// The process's open sockets now (`/proc/PID/fd` links to `socket:`): its pooled connections,
    /// listeners and the ledger's.
    static func socketCount(_ pid: Int32) -> Int {
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        return descriptors.filter { name in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(name)"))?.hasPrefix("socket:") == true
        }.count
    }

    /// The process's threads now (`/proc/PID/task`).
    static func threadCount(_ pid: Int32) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").count
    }

    /// Resident memory now and its high-water mark, in KiB (`/proc/PID/status`).
    static func residentKiB(_ pid: Int32) throws -> (rss: Int, highWater: Int, anonymous: Int) {
        let text = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func field(_ name: String) -> Int {
            text.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .flatMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first }
                .flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        }
        return (field("VmRSS"), field("VmHWM"), field("RssAnon"))
    }

    static func waitFor(_ what: String, timeout: Double, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try !condition() {
            guard Date() < deadline else { throw BenchError("timed out waiting for \(what)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    static func date(_ value: Any?) -> Date? {
        guard let text = value as? String else { return nil }
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return withFraction.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
