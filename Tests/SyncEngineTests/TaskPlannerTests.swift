import KubeModel
import Manifests
import SyncEngine
import Testing

@Suite struct TaskPlannerTests {
    static let revision = "3F9a1c2b7e4d5f60718293a4b5c6d7e8f9012345"
    static let attemptStart: Int64 = 1_700_000_000

    /// The shape of Argo CD's sync-waves example: a PreSync hook, objects in waves 0 and 2, and Sync
    /// hooks in waves 1 and 3.
    static let syncWaves = """
        apiVersion: batch/v1
        kind: Job
        metadata:
          generateName: schema-migrate-
          annotations:
            argocd.argoproj.io/hook: PreSync
        spec: {template: {spec: {restartPolicy: Never, containers: [{name: m, image: alpine}]}}}
        ---
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata:
          name: api
        spec: {replicas: 1}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: api
        spec: {ports: [{port: 8080}]}
        ---
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: banner-on
          annotations:
            argocd.argoproj.io/hook: Sync
            argocd.argoproj.io/hook-delete-policy: BeforeHookCreation
            argocd.argoproj.io/sync-wave: "1"
        spec: {template: {spec: {restartPolicy: Never, containers: [{name: b, image: alpine}]}}}
        ---
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata:
          name: web
          annotations:
            argocd.argoproj.io/sync-wave: "+2"
        spec: {replicas: 1}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          annotations:
            argocd.argoproj.io/sync-wave: "2"
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: banner-off
          annotations:
            argocd.argoproj.io/hook: Sync
            argocd.argoproj.io/sync-wave: "3"
        spec: {template: {spec: {restartPolicy: Never, containers: [{name: b, image: alpine}]}}}
        """

    /// The shape of Argo CD's helm-hooks example: Helm hooks with weights, and a normal object whose
    /// `hook-weight` is its wave.
    static let helmHooks = """
        apiVersion: batch/v1
        kind: Job
        metadata:
          generateName: schema-migrate
          annotations:
            helm.sh/hook: pre-install
            helm.sh/hook-weight: "-2"
        spec: {template: {spec: {restartPolicy: Never, containers: [{name: m, image: alpine}]}}}
        ---
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: banner-on
          annotations:
            helm.sh/hook: pre-install
            helm.sh/hook-delete-policy: before-hook-creation
            helm.sh/hook-weight: "-1"
        spec: {template: {spec: {restartPolicy: Never, containers: [{name: b, image: alpine}]}}}
        ---
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata:
          name: web
        spec: {replicas: 1}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          annotations:
            helm.sh/hook-weight: "2"
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: banner-off
          annotations:
            helm.sh/hook: post-install
            helm.sh/hook-delete-policy: before-hook-creation
        spec: {template: {spec: {restartPolicy: Never, containers: [{name: b, image: alpine}]}}}
        """

    @Test func syncWavesRunHooksAndObjectsByWaveWithServicesBeforeReplicaSets() throws {
        let plan = TaskPlanner.plan(try loadManifests(Self.syncWaves), revision: Self.revision, attemptStart: Self.attemptStart)
        #expect(
            summary(plan.tasks) == [
                "PreSync/0 Job schema-migrate-3f9a1c2-presync-1700000000",
                "Sync/0 Service api", "Sync/0 ReplicaSet api",
                "Sync/1 Job banner-on",
                "Sync/2 Service web", "Sync/2 ReplicaSet web",
                "Sync/3 Job banner-off",
            ])
        #expect(plan.tasks.map(\.isHook) == [true, false, false, true, false, false, true])
        #expect(plan.groups.map { "\($0.phase)/\($0.wave)" } == ["PreSync/0", "Sync/0", "Sync/1", "Sync/2", "Sync/3"])
        #expect(plan.lastSyncWave == 3)
        #expect(plan.syncFailTasks.isEmpty && plan.skipped.isEmpty)
    }

    @Test func helmHooksRunByWeightAroundTheObjects() throws {
        let plan = TaskPlanner.plan(try loadManifests(Self.helmHooks), revision: Self.revision, attemptStart: Self.attemptStart)
        #expect(
            summary(plan.tasks) == [
                "PreSync/-2 Job schema-migrate3f9a1c2-presync-1700000000",
                "PreSync/-1 Job banner-on",
                "Sync/0 ReplicaSet web",
                "Sync/2 Service web",
                "PostSync/0 Job banner-off",
            ])
    }

    @Test func aHookListedForTwoPhasesIsOneTaskPerPhase() throws {
        let yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              generateName: check-
              annotations:
                argocd.argoproj.io/hook: PostSync, PreSync, PreSync
            spec: {restartPolicy: Never, containers: [{name: c, image: alpine}]}
            """
        let plan = TaskPlanner.plan(try loadManifests(yaml), revision: Self.revision, attemptStart: Self.attemptStart)
        #expect(
            summary(plan.tasks) == ["PreSync/0 Pod check-3f9a1c2-presync-1700000000", "PostSync/0 Pod check-3f9a1c2-postsync-1700000000"])
        let object = try #require(plan.tasks.first?.object)
        #expect(object.name == "check-3f9a1c2-presync-1700000000")
        #expect(object.generateName == nil)
    }

    @Test("a hook with no name is named <revision[0:7]>-<phase>-<attempt start> in each phase it runs in, as Argo CD's sync_context.go names it")
    func aHookWithNoNameIsNamedPerPhase() throws {
        let yaml = """
            apiVersion: batch/v1
            kind: Job
            metadata:
              annotations:
                argocd.argoproj.io/hook: PreSync,PostSync
            spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: alpine}]}}}
            """
        let plan = TaskPlanner.plan(try loadManifests(yaml), revision: Self.revision, attemptStart: Self.attemptStart)
        #expect(summary(plan.tasks) == ["PreSync/0 Job 3f9a1c2-presync-1700000000", "PostSync/0 Job 3f9a1c2-postsync-1700000000"])
        let object = try #require(plan.tasks.first?.object)
        #expect(object.name == "3f9a1c2-presync-1700000000")
        #expect(object.generateName == nil)
        #expect(plan.tasks.first?.identity == ObjectIdentity(group: "batch", kind: "Job", namespace: "default", name: "3f9a1c2-presync-1700000000"))
    }

    @Test func skippedObjectsAndSyncFailHooksAreKeptApart() throws {
        let yaml = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: kept-out, annotations: {argocd.argoproj.io/hook: Skip}}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: unknown-phase, annotations: {argocd.argoproj.io/hook: PreDelete}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: helm-test, annotations: {helm.sh/hook: test}}
            ---
            apiVersion: batch/v1
            kind: Job
            metadata: {name: page-oncall, annotations: {argocd.argoproj.io/hook: SyncFail}}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            """
        let plan = TaskPlanner.plan(try loadManifests(yaml), revision: Self.revision, attemptStart: Self.attemptStart)
        #expect(summary(plan.tasks) == ["Sync/0 ConfigMap settings"])
        #expect(summary(plan.syncFailTasks) == ["SyncFail/0 Job page-oncall"])
        #expect(summary(plan.skipped) == ["Sync/0 ConfigMap kept-out", "Sync/0 ConfigMap unknown-phase", "Sync/0 Pod helm-test"])
        #expect(plan.skipped.allSatisfy { $0.isSkipped })
    }

    @Test func namespacesAndDefinitionsInTheManifestsComeBeforeWhatNeedsThem() throws {
        let yaml = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop, annotations: {argocd.argoproj.io/sync-wave: "3"}}
            ---
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: carts.example.com, annotations: {argocd.argoproj.io/sync-wave: "2"}}
            spec: {group: example.com, scope: Namespaced, names: {kind: Cart, plural: carts}}
            ---
            apiVersion: example.com/v1
            kind: Cart
            metadata: {name: default, namespace: shop, annotations: {argocd.argoproj.io/sync-wave: "1"}}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: shop, annotations: {argocd.argoproj.io/sync-wave: "1"}}
            """
        let plan = TaskPlanner.plan(try loadManifests(yaml), revision: Self.revision, attemptStart: Self.attemptStart)
        #expect(
            summary(plan.tasks) == [
                "Sync/1 Namespace shop", "Sync/1 ConfigMap settings", "Sync/1 CustomResourceDefinition carts.example.com",
                "Sync/1 Cart default",
            ])
    }

    @Test func theSamePlanComesFromTheSameAttempt() throws {
        let manifests = try loadManifests(Self.syncWaves)
        let first = TaskPlanner.plan(manifests, revision: Self.revision, attemptStart: Self.attemptStart)
        let again = TaskPlanner.plan(
            ManifestSet(manifests: manifests.manifests.reversed()), revision: Self.revision, attemptStart: Self.attemptStart)
        let later = TaskPlanner.plan(manifests, revision: Self.revision, attemptStart: Self.attemptStart + 60)
        #expect(first == again)
        #expect(summary(later.tasks).first == "PreSync/0 Job schema-migrate-3f9a1c2-presync-1700000060")
    }
}
