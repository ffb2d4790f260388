import Manifests
import Testing

/// One row of an annotation table: the annotations and what they should mean.
struct AnnotationCase: Sendable, CustomTestStringConvertible {
    let annotations: [String: String]
    let phases: [HookPhase]
    let isHook: Bool
    let skip: Bool

    init(_ annotations: [String: String], phases: [HookPhase], isHook: Bool, skip: Bool = false) {
        self.annotations = annotations
        self.phases = phases
        self.isHook = isHook
        self.skip = skip
    }

    var testDescription: String {
        annotations.keys.sorted().map { "\($0)=\(annotations[$0] ?? "")" }.joined(separator: " ")
    }
}

@Suite struct SyncSettingsTests {
    static let hook = SyncSettings.Key.hook
    static let helm = SyncSettings.Key.helmHook

    static let hookCases: [AnnotationCase] = [
        AnnotationCase([:], phases: [], isHook: false),
        AnnotationCase([hook: "PreSync"], phases: [.preSync], isHook: true),
        AnnotationCase([hook: "Sync"], phases: [.sync], isHook: true),
        AnnotationCase([hook: "PostSync"], phases: [.postSync], isHook: true),
        AnnotationCase([hook: "SyncFail"], phases: [.syncFail], isHook: true),
        // Trimmed, duplicates dropped, phase order whatever the written order.
        AnnotationCase([hook: " PostSync , PreSync,PreSync ,"], phases: [.preSync, .postSync], isHook: true),
        // Skip alone: not applied, not a hook.
        AnnotationCase([hook: "Skip"], phases: [], isHook: false, skip: true),
        AnnotationCase([hook: "Skip, Skip"], phases: [], isHook: false, skip: true),
        // Skip with a phase is ignored.
        AnnotationCase([hook: "Skip,PreSync"], phases: [.preSync], isHook: true),
        // Skip with only unknown values is still Skip alone.
        AnnotationCase([hook: "Skip,Bogus"], phases: [], isHook: false, skip: true),
        // Unknown values: a hook with no phase, not applied.
        AnnotationCase([hook: "Bogus"], phases: [], isHook: true, skip: true),
        AnnotationCase([hook: "presync"], phases: [], isHook: true, skip: true),
        AnnotationCase([hook: ""], phases: [], isHook: true, skip: true),
        AnnotationCase([hook: "PreSync,Bogus"], phases: [.preSync], isHook: true),
        // Helm mappings.
        AnnotationCase([helm: "pre-install"], phases: [.preSync], isHook: true),
        AnnotationCase([helm: "pre-upgrade"], phases: [.preSync], isHook: true),
        AnnotationCase([helm: "post-install"], phases: [.postSync], isHook: true),
        AnnotationCase([helm: "post-upgrade"], phases: [.postSync], isHook: true),
        AnnotationCase([helm: "pre-install,post-upgrade"], phases: [.preSync, .postSync], isHook: true),
        AnnotationCase([helm: "pre-install, pre-upgrade"], phases: [.preSync], isHook: true),
        AnnotationCase([helm: "crd-install"], phases: [], isHook: false),
        AnnotationCase([helm: "pre-delete"], phases: [], isHook: true, skip: true),
        AnnotationCase([helm: "post-delete"], phases: [], isHook: true, skip: true),
        AnnotationCase([helm: "pre-rollback"], phases: [], isHook: true, skip: true),
        AnnotationCase([helm: "post-rollback"], phases: [], isHook: true, skip: true),
        AnnotationCase([helm: "test"], phases: [], isHook: true, skip: true),
        AnnotationCase([helm: "test-success"], phases: [], isHook: true, skip: true),
        AnnotationCase([helm: "pre-install,test"], phases: [.preSync], isHook: true),
        // A valid Argo hook annotation wins over Helm's.
        AnnotationCase([hook: "PostSync", helm: "pre-install"], phases: [.postSync], isHook: true),
        AnnotationCase([hook: "Skip", helm: "pre-install"], phases: [], isHook: false, skip: true),
        AnnotationCase([hook: "Skip,Sync", helm: "pre-install"], phases: [.sync], isHook: true),
        // An Argo annotation with no valid value leaves the Helm one in charge.
        AnnotationCase([hook: "Bogus", helm: "pre-install"], phases: [.preSync], isHook: true),
        AnnotationCase([hook: "Bogus", helm: "crd-install"], phases: [], isHook: true, skip: true),
    ]

    @Test(arguments: hookCases)
    func hookAnnotationsDecideWhetherAndWhenAnObjectIsApplied(_ example: AnnotationCase) throws {
        let settings = try SyncSettings(annotations: example.annotations)
        #expect(settings.hookPhases == example.phases)
        #expect(settings.isHook == example.isHook)
        #expect(settings.skip == example.skip)
    }

    @Test func theAppliedPhasesAreSyncForNormalObjectsTheHookPhasesForHooksAndNoneWhenSkipped() throws {
        #expect(try SyncSettings(annotations: [:]).phases == [.sync])
        #expect(try SyncSettings(annotations: [Self.hook: "PreSync,SyncFail"]).phases == [.preSync, .syncFail])
        #expect(try SyncSettings(annotations: [Self.hook: "Skip"]).phases == [])
        #expect(try SyncSettings(annotations: [Self.helm: "test"]).phases == [])
    }

    static let deleteCases: [([String: String], Set<DeletePolicy>)] = [
        ([:], [.beforeHookCreation]),
        ([SyncSettings.Key.hookDeletePolicy: "HookSucceeded"], [.hookSucceeded]),
        ([SyncSettings.Key.hookDeletePolicy: "HookSucceeded, HookFailed"], [.hookSucceeded, .hookFailed]),
        ([SyncSettings.Key.hookDeletePolicy: "BeforeHookCreation,HookFailed"], [.beforeHookCreation, .hookFailed]),
        // Unknown values are dropped; with none left the default applies.
        ([SyncSettings.Key.hookDeletePolicy: "Never"], [.beforeHookCreation]),
        ([SyncSettings.Key.hookDeletePolicy: "hook-succeeded"], [.beforeHookCreation]),
        // Helm policies are added to the Argo list.
        ([SyncSettings.Key.helmHookDeletePolicy: "hook-succeeded"], [.hookSucceeded]),
        ([SyncSettings.Key.helmHookDeletePolicy: "before-hook-creation,hook-failed"], [.beforeHookCreation, .hookFailed]),
        ([SyncSettings.Key.hookDeletePolicy: "HookFailed", SyncSettings.Key.helmHookDeletePolicy: "hook-succeeded"], [.hookFailed, .hookSucceeded]),
        ([SyncSettings.Key.helmHookDeletePolicy: "HookSucceeded"], [.beforeHookCreation]),
    ]

    @Test(arguments: deleteCases)
    func deletePoliciesCombineArgoAndHelmAndDefaultToBeforeHookCreation(_ annotations: [String: String], _ expected: Set<DeletePolicy>) throws {
        #expect(try SyncSettings(annotations: annotations).deletePolicies == expected)
    }

    static let waveCases: [([String: String], Int)] = [
        ([:], 0),
        ([SyncSettings.Key.syncWave: "3"], 3),
        ([SyncSettings.Key.syncWave: "-2"], -2),
        ([SyncSettings.Key.syncWave: "+5"], 5),
        ([SyncSettings.Key.syncWave: "0"], 0),
        // Not integers: fall back to the Helm weight, then 0.
        ([SyncSettings.Key.syncWave: "1.5"], 0),
        ([SyncSettings.Key.syncWave: " 3"], 0),
        ([SyncSettings.Key.syncWave: "three"], 0),
        ([SyncSettings.Key.syncWave: ""], 0),
        ([SyncSettings.Key.syncWave: "99999999999999999999"], 0),
        ([SyncSettings.Key.helmHookWeight: "-7"], -7),
        ([SyncSettings.Key.syncWave: "x", SyncSettings.Key.helmHookWeight: "4"], 4),
        ([SyncSettings.Key.syncWave: "2", SyncSettings.Key.helmHookWeight: "4"], 2),
        ([SyncSettings.Key.syncWave: "x", SyncSettings.Key.helmHookWeight: "y"], 0),
    ]

    @Test(arguments: waveCases)
    func theWaveIsTheSyncWaveElseTheHelmWeightElseZero(_ annotations: [String: String], _ expected: Int) throws {
        #expect(try SyncSettings(annotations: annotations).wave == expected)
    }

    static let optionCases: [(String, SyncOptions)] = [
        ("", SyncOptions()),
        ("Prune=false", SyncOptions(prune: false)),
        ("Replace=true", SyncOptions(replace: true)),
        ("Force=true,Replace=true", SyncOptions(replace: true, force: true)),
        ("ServerSideApply=false", SyncOptions(serverSideApply: false)),
        ("PruneLast=true", SyncOptions(pruneLast: true)),
        ("CreateNamespace=true", SyncOptions(createNamespace: true)),
        ("SkipDryRunOnMissingResource=true", SyncOptions(skipDryRunOnMissingResource: true)),
        ("Validate=false", SyncOptions(validate: false)),
        (" Prune=false , Validate=false ", SyncOptions(prune: false, validate: false)),
        // Defaults restated, other spellings and unknown options change nothing.
        ("Prune=true,ServerSideApply=true,Validate=true", SyncOptions()),
        ("prune=false,Replace=True,Delete=false,Foo", SyncOptions()),
    ]

    @Test(arguments: optionCases)
    func syncOptionsHonourTheListedKeyValuePairs(_ annotation: String, _ expected: SyncOptions) throws {
        #expect(try SyncSettings(annotations: [SyncSettings.Key.syncOptions: annotation]).options == expected)
    }

    static let timeoutCases: [(String, Duration)] = [
        ("90s", .seconds(90)),
        ("5m", .seconds(300)),
        ("1h30m", .seconds(5400)),
        ("1.5h", .seconds(5400)),
        ("500ms", .milliseconds(500)),
        ("120", .seconds(120)),
    ]

    @Test(arguments: timeoutCases)
    func hookTimeoutReadsGoDurationsAndSeconds(_ text: String, _ expected: Duration) throws {
        #expect(try SyncSettings(annotations: [SyncSettings.Key.hookTimeout: text]).hookTimeout == expected)
    }

    @Test(arguments: ["", "soon", "5 minutes", "0s", "-5m", "5x", "1h-5m"])
    func anUnusableHookTimeoutIsRefusedRatherThanIgnored(_ text: String) {
        #expect(throws: SyncSettings.InvalidAnnotation.self) {
            try SyncSettings(annotations: [SyncSettings.Key.hookTimeout: text])
        }
    }

    @Test func withoutAHookTimeoutAnnotationTheSyncWideTimeoutApplies() throws {
        #expect(try SyncSettings(annotations: [Self.hook: "PreSync"]).hookTimeout == nil)
    }
}
