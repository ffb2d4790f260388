import Foundation
import KubeModel
import Ledger
import Testing

@Suite("JSON for history and show")
struct JSONShapeTests {
    static let historyFields: Set<String> = [
        "app", "revision", "ref", "author", "message", "trigger", "startedAt", "finishedAt", "outcome", "phaseReached",
        "signer", "rendering",
    ]
    static let taskFields: Set<String> = [
        "phase", "wave", "kind", "group", "namespace", "name", "hook", "action", "status", "message", "startedAt",
        "finishedAt", "log",
    ]

    @Test("A history entry has the contract's fields, RFC 3339 times and a null finishedAt while running", arguments: LedgerBackend.allCases)
    func historyEntry(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let id = try await fixture.begin(revision("a1"), trigger: .manual)
        let running = try await fixture.ledger.attempt(id).historyJSON
        let members = try #require(running.objectValue)
        #expect(Self.historyFields.isSubset(of: Set(members.keys)))
        #expect(running["startedAt"] == "2023-11-14T22:13:20Z")
        #expect(running["finishedAt"] == .null)
        #expect(running["outcome"] == "Running")
        #expect(running["trigger"] == "manual")
        #expect(running["phaseReached"] == .null)
        #expect(running["revision"] == .string(revision("a1")))
        #expect(running["ref"] == "refs/heads/main")
        #expect(running["author"] == "Ada <ada@example.com>")
        #expect(running["message"] == "Deploy a100000")

        try await fixture.ledger.enterPhase("PostSync", of: id)
        fixture.clock.advance(by: 90.25)
        try await fixture.ledger.finishAttempt(id, outcome: .succeeded)
        let history = Attempt.historyJSON(try await fixture.ledger.history(limit: 5))
        let entry = try #require(history.arrayValue?.first)
        #expect(entry["finishedAt"] == "2023-11-14T22:14:50.250Z")
        #expect(entry["outcome"] == "Succeeded")
        #expect(entry["phaseReached"] == "PostSync")
        #expect(history.serialized().hasPrefix("[{\"app\":\"shop\""))
    }

    @Test("show has the attempt's fields plus tasks in order and the four change lists", arguments: LedgerBackend.allCases)
    func showShape(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let id = try await fixture.begin(revision("c3"))
        let hook = try await fixture.ledger.beginTask(
            in: id, phase: "PreSync", wave: 0, object: migrateJob,
            hook: true, action: .created)
        try await fixture.ledger.appendLog("migrated 3 tables\n", to: hook)
        fixture.clock.advance(by: 1)
        try await fixture.ledger.updateTask(hook, status: .succeeded)
        _ = try await fixture.ledger.beginTask(
            in: id, phase: "Sync", wave: 0, object: deployment("web"), hook: false, action: .configured)
        try await fixture.ledger.recordChanges(ChangeSet(configured: [deployment("web")], pruned: [configMap("old")]), for: id)

        let show = try await fixture.ledger.detail(app: nil, revision: "c300").json
        let members = try #require(show.objectValue)
        #expect(Self.historyFields.union(["tasks", "changes"]).isSubset(of: Set(members.keys)))

        let tasks = try #require(show["tasks"]?.arrayValue)
        #expect(tasks.count == 2)
        for task in tasks { #expect(Set(task.objectValue?.keys.map { $0 } ?? []) == Self.taskFields) }
        #expect(tasks[0]["name"] == "migrate")
        #expect(tasks[0]["group"] == "batch")
        #expect(tasks[0]["hook"] == true)
        #expect(tasks[0]["wave"] == 0)
        #expect(tasks[0]["action"] == "created")
        #expect(tasks[0]["status"] == "Succeeded")
        #expect(tasks[0]["log"] == "migrated 3 tables\n")
        #expect(tasks[0]["startedAt"] == "2023-11-14T22:13:20Z")
        #expect(tasks[0]["finishedAt"] == "2023-11-14T22:13:21Z")
        #expect(tasks[1]["name"] == "web")
        #expect(tasks[1]["status"] == "Running")
        #expect(tasks[1]["finishedAt"] == .null)
        #expect(tasks[1]["log"] == .null)

        #expect(
            show["changes"] == [
                "created": [], "configured": ["apps/Deployment/shop/web"], "unchanged": [],
                "pruned": ["/ConfigMap/shop/old"],
            ])
    }

    @Test("the signer of a verified revision is kept with its attempt (migration v6) and shown by history and show; empty when none was verified", arguments: LedgerBackend.allCases)
    func signer(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let unsigned = try await fixture.begin(revision("d4"))
        try await fixture.ledger.finishAttempt(unsigned, outcome: .succeeded)
        fixture.clock.advance(by: 60)
        let signed = try await fixture.begin(revision("e5"))
        try await fixture.ledger.recordSigner("Alice <alice@example.com> (OpenPGP key 14C830B3DDCE6693491E4B8A92E5B902CAF64E9A)", for: signed)
        try await fixture.ledger.finishAttempt(signed, outcome: .succeeded)

        #expect(try await fixture.ledger.attempt(unsigned).historyJSON["signer"] == "")
        let show = try await fixture.ledger.detail(app: nil, revision: "e500").json
        #expect(show["signer"] == "Alice <alice@example.com> (OpenPGP key 14C830B3DDCE6693491E4B8A92E5B902CAF64E9A)")
        let history = Attempt.historyJSON(try await fixture.ledger.history(limit: 5))
        #expect(history.arrayValue?.compactMap { $0["signer"]?.stringValue } == [
            "Alice <alice@example.com> (OpenPGP key 14C830B3DDCE6693491E4B8A92E5B902CAF64E9A)", "",
        ])
    }

    @Test("how a chart was rendered is kept with its attempt (migration v7) as an object in history and show; null when nothing was rendered", arguments: LedgerBackend.allCases)
    func rendering(_ backend: LedgerBackend) async throws {
        let fixture = try await LedgerFixture(backend)
        let plain = try await fixture.begin(revision("f6"))
        try await fixture.ledger.finishAttempt(plain, outcome: .succeeded)
        fixture.clock.advance(by: 60)
        let charted = try await fixture.begin(revision("a7"))
        let rendering = #"{"chart":"helm-guestbook","kubeVersion":"v1.36.0","releaseName":"guestbook","renderer":"helm","valueFiles":["values-production.yaml"]}"#
        try await fixture.ledger.recordRendering(rendering, for: charted)
        try await fixture.ledger.finishAttempt(charted, outcome: .succeeded)

        #expect(try await fixture.ledger.attempt(plain).historyJSON["rendering"] == .null)
        let show = try await fixture.ledger.detail(app: nil, revision: "a700").json
        #expect(show["rendering"]?["releaseName"] == "guestbook")
        #expect(show["rendering"]?["valueFiles"] == ["values-production.yaml"])
        #expect(try await fixture.ledger.attempt(charted).rendering == rendering)
    }
}
