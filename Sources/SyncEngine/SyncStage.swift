import Manifests

/// One (phase, wave) step of a sync: the prunes of that wave, then its task runs.
struct SyncStage: Sendable {
    var phase: HookPhase
    var wave: Int
    var runs: [TaskRun]
    var prunes: [PruneTask]

    var tasks: [SyncTask] { runs.flatMap(\.tasks) }

    /// The plan's groups with the prune waves merged into the Sync phase: a prune wave joins the Sync
    /// group of the same wave, or becomes a stage of its own in wave order (after PreSync, before PostSync).
    static func stages(groups: [TaskGroup], prunes: PrunePlan) -> [SyncStage] {
        var stages = groups.map { SyncStage(phase: $0.phase, wave: $0.wave, runs: $0.runs, prunes: []) }
        for wave in prunes.waves {
            let tasks = prunes.prunes(inWave: wave)
            if let index = stages.firstIndex(where: { $0.phase == .sync && $0.wave == wave }) {
                stages[index].prunes += tasks
                continue
            }
            let insertAt =
                stages.firstIndex(where: { $0.phase == .postSync || ($0.phase == .sync && $0.wave > wave) })
                ?? stages.count
            stages.insert(SyncStage(phase: .sync, wave: wave, runs: [], prunes: tasks), at: insertAt)
        }
        return stages
    }
}
