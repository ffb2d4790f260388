import Foundation
import KubeModel
import Ledger
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SyncEngine

/// What `GET /api/v1/apps` answers: each running application's status entry, the JSON of
/// `sluice status --output json`, kept in memory so that a request reads no ledger.
///
/// The reconcilers keep it current: an application's entry is read again from the ledger when
/// its reconciler starts, when one of its attempts begins or ends, and at the end of each of its
/// ticks (after the tick's last ledger write), and the API's suspend and resume refresh it at
/// once. A write by another process (`sluice suspend`, `sluice sync` beside the agent) shows at
/// the application's next tick. The answer's bytes are made once per change and shared by every
/// request until the next one.
public final class StatusSnapshot: Sendable {
    private struct State {
        /// The entries of the running applications, by name.
        var entries: [String: JSONValue] = [:]
        /// The number of the latest refresh of each application that has landed, so that an older
        /// read finishing after a newer one does not undo it.
        var landed: [String: UInt64] = [:]
        /// Each application's latest attempt and latest `Succeeded` one, as last read: while the
        /// latest is unchanged the last applied one cannot have changed either (an application's
        /// attempts run one at a time, under its sync lock), so it is not read again.
        var attempts: [String: (last: Attempt?, applied: Attempt?)] = [:]
        /// The applications whose reconciler runs; a refresh of any other is dropped.
        var running: Set<String> = []
        var nextTicket: UInt64 = 0
        /// What each application's running sync last said: its phase, and what it waits for.
        var progress: [String: Progress] = [:]
        /// The answer's bytes, made at the first request after a change.
        var body: ByteBuffer?
    }

    /// What a running sync last reported.
    struct Progress: Equatable {
        var phase: String
        /// `waiting for Deployment shop/web: 0 of 3 updated replicas are available (40s of 5m)`, or
        /// a hook still running; empty at the start of a phase.
        var message: String
        var at: Date
    }

    private let state = NIOLockedValueBox(State())
    let ledger: Ledger
    let logger: Logger

    init(ledger: Ledger, logger: Logger) {
        self.ledger = ledger
        self.logger = logger
    }

    /// The application's reconciler runs: its entry is kept from now on.
    func started(_ app: String) {
        state.withLockedValue { _ = $0.running.insert(app) }
    }

    /// The application's reconciler stopped (removed or changed): its entry goes.
    func stopped(_ app: String) {
        state.withLockedValue { state in
            state.running.remove(app)
            state.landed[app] = nil
            state.attempts[app] = nil
            state.progress[app] = nil
            if state.entries.removeValue(forKey: app) != nil { state.body = nil }
        }
    }

    /// Reads the application's entry from the ledger again: its record and latest attempt, and its
    /// latest `Succeeded` attempt when the latest attempt changed. A read that fails is logged and
    /// the previous entry stays.
    func refresh(_ app: String) async {
        let ticket = state.withLockedValue { state -> UInt64 in
            state.nextTicket += 1
            return state.nextTicket
        }
        let entry: JSONValue
        let attempts: (last: Attempt?, applied: Attempt?)
        do {
            async let record = ledger.application(app)
            async let history = ledger.history(app: app, limit: 1)
            let last = try await history.first
            let known = state.withLockedValue { $0.attempts[app] }
            let applied: Attempt?
            if let known, known.last == last {
                applied = known.applied
            } else {
                applied = try await ledger.lastSucceeded(app: app)
            }
            attempts = (last, applied)
            entry = Self.entry(app: app, record: try await record, last: last, applied: applied)
        } catch {
            logger.warning("cannot read the application's status for the API; it shows the previous one", metadata: ["app": "\(app)", "error": "\(error)"])
            return
        }
        state.withLockedValue { state in
            guard state.running.contains(app), ticket > state.landed[app] ?? 0 else { return }
            state.landed[app] = ticket
            state.attempts[app] = attempts
            // A sync's progress belongs to the attempt that is running; once it ended, it goes.
            if attempts.last?.outcome != .running, state.progress.removeValue(forKey: app) != nil { state.body = nil }
            if state.entries[app] != entry {
                state.entries[app] = entry
                state.body = nil
            }
        }
    }

    /// What the application's running sync reports (``SyncProgress/log(interval:also:)``): a
    /// phase starting, a wait or a hook still going. The entry of a `Running` attempt shows the
    /// latest as `phase` and `message`, so `sluice status` says what the sync waits for while it
    /// waits. Reports come every few seconds at most (the progress interval), hook output is left
    /// to the ledger.
    func progressed(_ app: String, _ event: SyncProgress.Event) {
        state.withLockedValue { state in
            guard state.running.contains(app) else { return }
            var progress = state.progress[app] ?? Progress(phase: "", message: "", at: Date())
            switch event {
            case .phase(let phase):
                progress.phase = phase
                progress.message = ""
            case .waiting(let text), .hook(let text):
                progress.message = text
            case .hookOutput:
                return
            }
            progress.at = Date()
            state.progress[app] = progress
            if state.entries[app]?["lastOutcome"]?.stringValue == Outcome.running.rawValue { state.body = nil }
        }
    }

    /// The answer to `GET /api/v1/apps`: the entries by application name, as `sluice status
    /// --output json` prints them.
    func body() -> ByteBuffer {
        state.withLockedValue { state in
            if let body = state.body { return body }
            let entries = state.entries.keys.sorted().compactMap { app in
                state.entries[app].map { Self.withProgress($0, state.progress[app]) }
            }
            let body = ByteBuffer(string: JSONValue.array(entries).serialized(pretty: true) + "\n")
            state.body = body
            return body
        }
    }

    /// `entry` with a running attempt's progress: `phase` (also when the ledger has no phase yet)
    /// and `message` (what it waits for), and `progressAt`. Other entries are unchanged.
    static func withProgress(_ entry: JSONValue, _ progress: Progress?) -> JSONValue {
        guard let progress, entry["lastOutcome"]?.stringValue == Outcome.running.rawValue else { return entry }
        var entry = entry
        if !progress.phase.isEmpty { entry["phase"] = .string(progress.phase) }
        if !progress.message.isEmpty { entry["message"] = .string(progress.message) }
        entry["progressAt"] = .string(RFC3339.string(from: progress.at))
        return entry
    }

    /// One application's entry, as ``Ledger/statusJSON(apps:)`` makes it (``Ledger/statusEntry(app:record:last:applied:)``).
    static func entry(app name: String, record: ApplicationRecord?, last: Attempt?, applied: Attempt?) -> JSONValue {
        Ledger.statusEntry(app: name, record: record, last: last, applied: applied)
    }
}

/// A sync's recorder (the ledger) that says when an attempt begins or ends, so the status
/// snapshot shows a sync as `Running` while it runs, and its outcome as soon as it has one.
struct NotifyingRecorder: SyncRecorder {
    let base: any SyncRecorder
    /// Called after an attempt began or ended in `base`.
    let changed: @Sendable () async -> Void

    func beginAttempt(app: String, revision: String, ref: String, author: String, message: String, trigger: Trigger) async throws -> AttemptID {
        let id = try await base.beginAttempt(app: app, revision: revision, ref: ref, author: author, message: message, trigger: trigger)
        await changed()
        return id
    }

    func recordSigner(_ signer: String, for attempt: AttemptID) async throws {
        try await base.recordSigner(signer, for: attempt)
    }

    func recordRendering(_ rendering: String, for attempt: AttemptID) async throws {
        try await base.recordRendering(rendering, for: attempt)
    }

    @discardableResult
    func recordManifests(_ canonical: [UInt8], for attempt: AttemptID) async throws -> String {
        try await base.recordManifests(canonical, for: attempt)
    }

    func enterPhase(_ phase: String, of attempt: AttemptID) async throws {
        try await base.enterPhase(phase, of: attempt)
    }

    func beginTask(
        in attempt: AttemptID, phase: String, wave: Int, object: ObjectIdentity, hook: Bool, action: TaskAction, status: TaskStatus,
        message: String
    ) async throws -> TaskID {
        try await base.beginTask(in: attempt, phase: phase, wave: wave, object: object, hook: hook, action: action, status: status, message: message)
    }

    func updateTask(_ task: TaskID, status: TaskStatus, action: TaskAction?, message: String?) async throws {
        try await base.updateTask(task, status: status, action: action, message: message)
    }

    func appendLog(_ text: String, to task: TaskID) async throws {
        try await base.appendLog(text, to: task)
    }

    func recordChanges(_ changes: ChangeSet, for attempt: AttemptID) async throws {
        try await base.recordChanges(changes, for: attempt)
    }

    func finishAttempt(_ attempt: AttemptID, outcome: Outcome, message: String) async throws {
        try await base.finishAttempt(attempt, outcome: outcome, message: message)
        await changed()
    }

    func abandon(_ attempt: AttemptID, reason: String) async {
        await base.abandon(attempt, reason: reason)
        await changed()
    }
}
