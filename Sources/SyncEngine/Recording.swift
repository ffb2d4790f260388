import KubeModel

/// The sync's recorder, with its failures marked as such: a sync must tell "the record cannot be
/// written" (stop before the next side effect, and throw the recorder's own error to the caller)
/// from its own failures (a result, recorded).
struct Recording: Sendable {
    let recorder: any SyncRecorder

    /// The recorder failed; `underlying` is its error, which ``SyncRunner/sync(_:)`` throws as it is.
    struct Failure: Error {
        let underlying: any Error
    }

    func beginAttempt(app: String, revision: String, ref: String, author: String, message: String, trigger: Trigger) async throws -> AttemptID {
        try await marked { try await recorder.beginAttempt(app: app, revision: revision, ref: ref, author: author, message: message, trigger: trigger) }
    }

    func recordSigner(_ signer: String, for attempt: AttemptID) async throws {
        try await marked { try await recorder.recordSigner(signer, for: attempt) }
    }

    func recordRendering(_ rendering: String, for attempt: AttemptID) async throws {
        try await marked { try await recorder.recordRendering(rendering, for: attempt) }
    }

    func recordManifests(_ canonical: [UInt8], for attempt: AttemptID) async throws {
        try await marked { _ = try await recorder.recordManifests(canonical, for: attempt) }
    }

    func enterPhase(_ phase: String, of attempt: AttemptID) async throws {
        try await marked { try await recorder.enterPhase(phase, of: attempt) }
    }

    func beginTask(
        in attempt: AttemptID, phase: String, wave: Int, object: ObjectIdentity, hook: Bool, action: TaskAction,
        status: TaskStatus = .running, message: String = ""
    ) async throws -> TaskID {
        try await marked {
            try await recorder.beginTask(
                in: attempt, phase: phase, wave: wave, object: object, hook: hook, action: action, status: status, message: message)
        }
    }

    func updateTask(_ task: TaskID, status: TaskStatus, action: TaskAction? = nil, message: String? = nil) async throws {
        try await marked { try await recorder.updateTask(task, status: status, action: action, message: message) }
    }

    func appendLog(_ text: String, to task: TaskID) async throws {
        try await marked { try await recorder.appendLog(text, to: task) }
    }

    func recordChanges(_ changes: ChangeSet, for attempt: AttemptID) async throws {
        try await marked { try await recorder.recordChanges(changes, for: attempt) }
    }

    func finishAttempt(_ attempt: AttemptID, outcome: Outcome, message: String = "") async throws {
        try await marked { try await recorder.finishAttempt(attempt, outcome: outcome, message: message) }
    }

    private func marked<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(underlying: error)
        }
    }
}
