import KubeModel
import Manifests
import SyncEngine
import Testing

@Suite struct TaskOrderTests {
    @Test func kindsFollowTheKindOrderAndOtherKindsComeLast() {
        let kinds = TaskOrder.kinds + ["Widget", "Alpha"]
        let tasks = kinds.reversed().enumerated().map { task($0.element, "object-\($0.offset)") }
        let ordered = TaskOrder.order(tasks).map(\.kind)
        #expect(Array(ordered.prefix(TaskOrder.kinds.count)) == TaskOrder.kinds)
        // Kinds outside the list share one place, so their names decide: object-0 is the Alpha.
        #expect(Array(ordered.suffix(2)) == ["Alpha", "Widget"])
    }

    struct Pair: Sendable, CustomTestStringConvertible {
        var label: String
        var first: SyncTask
        var second: SyncTask
        var testDescription: String { label }
    }

    static let pairs: [Pair] = [
        Pair(label: "PreSync runs before Sync", first: task("Job", "z", phase: .preSync, wave: 9), second: task("Namespace", "a")),
        Pair(
            label: "Sync runs before PostSync", first: task("Job", "z", wave: 9), second: task("Namespace", "a", phase: .postSync, wave: -9)
        ),
        Pair(label: "SyncFail comes last", first: task("Job", "z", phase: .postSync, wave: 9), second: task("Job", "a", phase: .syncFail)),
        Pair(label: "a smaller wave runs first", first: task("Job", "z", wave: -1), second: task("Namespace", "a", wave: 0)),
        Pair(label: "waves compare as numbers", first: task("ConfigMap", "b", wave: 2), second: task("ConfigMap", "a", wave: 10)),
        Pair(label: "the kind order decides within a wave", first: task("Service", "z"), second: task("Deployment", "a")),
        Pair(label: "names compare by bytes, upper case first", first: task("ConfigMap", "Zeta"), second: task("ConfigMap", "alpha")),
        Pair(label: "names compare by bytes, not as numbers", first: task("ConfigMap", "web-10"), second: task("ConfigMap", "web-2")),
        Pair(
            label: "the namespace breaks a tie on the name",
            first: task("ConfigMap", "settings", namespace: "alpha"), second: task("ConfigMap", "settings", namespace: "beta")),
        Pair(
            label: "the group breaks a tie between kinds outside the list",
            first: task("Widget", "w", namespace: "ns", group: "a.example"),
            second: task("Widget", "w", namespace: "ns", group: "b.example")),
    ]

    @Test(arguments: pairs)
    func tasksAreOrderedByPhaseWaveKindNameAndNamespace(_ pair: Pair) {
        #expect(TaskOrder.order([pair.second, pair.first]) == [pair.first, pair.second])
        #expect(TaskOrder.order([pair.first, pair.second]) == [pair.first, pair.second])
    }

    @Test func theOrderDoesNotDependOnTheInputOrder() {
        let tasks = [
            task("Deployment", "web", namespace: "shop", wave: 1), task("Service", "web", namespace: "shop", wave: 1),
            task("ConfigMap", "web", namespace: "shop"), task("Job", "migrate", namespace: "shop", phase: .preSync),
            task("ConfigMap", "web", namespace: "blog"), task("Widget", "w", namespace: "shop", group: "example.com"),
        ]
        let expected = TaskOrder.order(tasks)
        #expect(TaskOrder.order(tasks.reversed()) == expected)
        #expect(TaskOrder.order(tasks.shuffled()) == expected)
    }

    @Test func aNamespaceMovesToJustBeforeTheFirstTaskInItTakingItsPhaseAndWave() {
        let tasks = [
            task("Namespace", "shop", wave: 5), task("ConfigMap", "settings", namespace: "shop", wave: 1),
            task("Job", "migrate", namespace: "shop", phase: .preSync, wave: -2),
            task("ConfigMap", "other", namespace: "elsewhere", wave: -3),
        ]
        #expect(
            summary(TaskOrder.order(tasks)) == [
                "PreSync/-2 Namespace shop", "PreSync/-2 Job migrate", "Sync/-3 ConfigMap other", "Sync/1 ConfigMap settings",
            ])
    }

    @Test func aNamespaceAlreadyAheadOfItsObjectsStaysWhereItIs() {
        let tasks = [task("Namespace", "shop", wave: -1), task("ConfigMap", "settings", namespace: "shop", wave: 3)]
        #expect(summary(TaskOrder.order(tasks)) == ["Sync/-1 Namespace shop", "Sync/3 ConfigMap settings"])
    }

    @Test func aCustomResourceDefinitionMovesToJustBeforeTheFirstObjectOfItsKind() {
        let definition = task(
            "CustomResourceDefinition", "widgets.example.com", group: "apiextensions.k8s.io", wave: 4,
            object: ["spec": ["group": "example.com", "names": ["kind": "Widget", "plural": "widgets"], "scope": "Namespaced"]])
        let tasks = [
            definition, task("Widget", "first", namespace: "shop", group: "example.com", wave: 1),
            task("Widget", "second", namespace: "shop", group: "example.com", wave: 2),
            task("Deployment", "web", namespace: "shop", group: "apps", wave: 1),
            task("Gadget", "g", namespace: "shop", group: "other.example", wave: 0),
        ]
        #expect(
            summary(TaskOrder.order(tasks)) == [
                "Sync/0 Gadget g", "Sync/1 Deployment web", "Sync/1 CustomResourceDefinition widgets.example.com", "Sync/1 Widget first",
                "Sync/2 Widget second",
            ])
    }

    @Test func groupsJoinConsecutiveTasksOfOnePhaseAndWaveInRunsOfOneKind() {
        let ordered = TaskOrder.order([
            task("Job", "migrate", phase: .preSync), task("ConfigMap", "a"), task("ConfigMap", "b"), task("Service", "web"),
            task("Deployment", "web", group: "apps"), task("Deployment", "worker", group: "apps"), task("Service", "late", wave: 1),
            task("Job", "smoke", phase: .postSync),
        ])
        let groups = TaskOrder.groups(ordered)
        #expect(groups.map { "\($0.phase)/\($0.wave)" } == ["PreSync/0", "Sync/0", "Sync/1", "PostSync/0"])
        #expect(groups[1].runs.map { $0.tasks.map(\.name) } == [["a", "b"], ["web"], ["web", "worker"]])
        #expect(groups[1].runs.map(\.groupKind.kind) == ["ConfigMap", "Service", "Deployment"])
        #expect(groups.flatMap(\.tasks) == ordered)
    }
}
