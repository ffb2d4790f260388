/// Where a sync records what it does as it does it: the attempt, its phases, each task, hook logs,
/// the change set and the outcome. The ledger implements it; the sync engine knows only this.
///
/// Every call is a write that must land before the sync goes on to its next side effect: a sync
/// that cannot be recorded stops (the engine throws the recorder's error as it is).
public protocol SyncRecorder: Sendable {
    /// Starts an attempt (outcome `Running`); its number counts the attempts of that revision.
    func beginAttempt(app: String, revision: String, ref: String, author: String, message: String, trigger: Trigger) async throws -> AttemptID
    /// Notes who signed the revision (or its tag), as its signature was verified before the sync
    /// (`Alice <alice@example.com> (OpenPGP key 14C8…)`).
    func recordSigner(_ signer: String, for attempt: AttemptID) async throws
    /// Keeps how the revision was rendered (one line of JSON) with the attempt.
    func recordRendering(_ rendering: String, for attempt: AttemptID) async throws
    /// Keeps the revision's manifests (canonical text) with the attempt; returns their digest.
    @discardableResult
    func recordManifests(_ canonical: [UInt8], for attempt: AttemptID) async throws -> String
    /// Notes the phase the attempt has reached.
    func enterPhase(_ phase: String, of attempt: AttemptID) async throws
    /// Starts a task (or records one that is already over, with `status` and `message`).
    func beginTask(
        in attempt: AttemptID, phase: String, wave: Int, object: ObjectIdentity, hook: Bool, action: TaskAction, status: TaskStatus,
        message: String
    ) async throws -> TaskID
    /// Updates a task's status, and its action or message when given.
    func updateTask(_ task: TaskID, status: TaskStatus, action: TaskAction?, message: String?) async throws
    /// Adds a hook's captured log to its task.
    func appendLog(_ text: String, to task: TaskID) async throws
    /// Keeps the attempt's change set.
    func recordChanges(_ changes: ChangeSet, for attempt: AttemptID) async throws
    /// Ends the attempt with its outcome.
    func finishAttempt(_ attempt: AttemptID, outcome: Outcome, message: String) async throws
    /// The sync of `attempt` stopped because the recorder could not be written (a full disk): end
    /// the attempt as failed with `reason` now if possible, else at the next write that succeeds,
    /// so it is not left `Running`.
    func abandon(_ attempt: AttemptID, reason: String) async
}

extension SyncRecorder {
    /// Starts a task that is running.
    public func beginTask(
        in attempt: AttemptID, phase: String, wave: Int, object: ObjectIdentity, hook: Bool, action: TaskAction
    ) async throws -> TaskID {
        try await beginTask(in: attempt, phase: phase, wave: wave, object: object, hook: hook, action: action, status: .running, message: "")
    }

    /// Updates a task's status only.
    public func updateTask(_ task: TaskID, status: TaskStatus) async throws {
        try await updateTask(task, status: status, action: nil, message: nil)
    }

    /// Records nothing: a recorder that keeps no signer.
    public func recordSigner(_ signer: String, for attempt: AttemptID) async throws {}

    /// Records nothing: a recorder that keeps no rendering.
    public func recordRendering(_ rendering: String, for attempt: AttemptID) async throws {}

    /// Ends the attempt with no message.
    public func finishAttempt(_ attempt: AttemptID, outcome: Outcome) async throws {
        try await finishAttempt(attempt, outcome: outcome, message: "")
    }
}
