import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, default value: Int) -> Int {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let n = Int(arguments[i + 1]) else { return value }
    return n
}
do {
    switch arguments.first {
    case "op":
        try await Operation.run(Array(arguments.dropFirst()))
    case "apply":
        try await ApplyBenchmark.run(configMaps: option("--configmaps", default: 2_000), deployments: option("--deployments", default: 200))
    case "manifests":
        try ManifestsBenchmark.run(objects: option("--objects", default: 10_000))
    case "plan":
        let sluice = arguments.firstIndex(of: "--sluice").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } ?? "sluice"
        try PlanBenchmark.run(objects: option("--objects", default: 10_000), sluice: sluice)
    case "agent":
        let sluice = arguments.firstIndex(of: "--sluice").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } ?? "sluice"
        try await AgentBenchmark.run(
            sluice: sluice, apps: option("--apps", default: 50), cycleApps: option("--cycle-apps", default: 1_000),
            objects: option("--objects", default: 1_000), idleSeconds: option("--idle-seconds", default: 60),
            cycleOnly: arguments.contains("--cycle-only"))
    case "api-flood":
        let sluice = arguments.firstIndex(of: "--sluice").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } ?? "sluice"
        try await FloodBenchmark.run(
            sluice: sluice, apps: option("--apps", default: 200), requests: option("--requests", default: 500), rounds: option("--rounds", default: 3))
    case "apply-sync":
        let sluice = arguments.firstIndex(of: "--sluice").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } ?? "sluice"
        try ApplySyncBenchmark.run(
            configMaps: option("--configmaps", default: 1_000), deployments: option("--deployments", default: 100), sluice: sluice,
            lowInFlight: option("--low-inflight", default: 8))
    case "cli-start":
        let sluice = arguments.firstIndex(of: "--sluice").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } ?? "sluice"
        try CLIStartBenchmark.run(sluice: sluice, runs: option("--runs", default: 5))
    case "ledger":
        try await LedgerBenchmark.run(
            attempts: option("--attempts", default: 500), tasks: option("--tasks", default: 10), reads: option("--reads", default: 500))
    case "fetch":
        try await FetchBenchmark.run(files: option("--files", default: 20_000), commits: option("--commits", default: 2_000))
    default:
        print("usage: SluiceBench fetch [--files N] [--commits N] | apply [--configmaps N] [--deployments N] | manifests [--objects N] | plan [--objects N] --sluice PATH | agent [--apps N] [--cycle-apps N (0: skip part 4)] [--objects N] [--idle-seconds N] [--cycle-only] --sluice PATH | cli-start [--runs N] --sluice PATH | apply-sync [--configmaps N] [--deployments N] [--low-inflight N] --sluice PATH | api-flood [--apps N] [--requests N] [--rounds N] --sluice PATH | ledger [--attempts N] [--tasks N] [--reads N] | op clone|fetch|check URL STATE_DIR")
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("SluiceBench: \(error)\n".utf8))
    exit(1)
}
