extension SyncSettings {
    /// Reads the settings from an object's annotations, following Argo CD's rules (and Sluice's
    /// `sluice.dev/hook-timeout`).
    ///
    /// - Throws: ``InvalidAnnotation`` when `sluice.dev/hook-timeout` is not a positive duration.
    public init(annotations: [String: String]) throws(InvalidAnnotation) {
        self.init()
        let argoHook = annotations[Key.hook]
        let argoValues = Self.commaList(argoHook)
        var argoPhases = Set<HookPhase>()
        var argoSkip = false
        for value in argoValues {
            if value == "Skip" {
                argoSkip = true
            } else if let phase = HookPhase(rawValue: value) {
                argoPhases.insert(phase)
            }
        }
        if argoSkip && argoPhases.isEmpty {
            // `Skip` alone: not applied, and not a hook.
            skip = true
        } else if argoHook != nil {
            isHook = true
            // Helm hooks count only when the Argo annotation names no known value.
            hookPhases = argoPhases.isEmpty && !argoSkip ? Self.helmPhases(annotations[Key.helmHook]) : argoPhases.sorted()
        } else if let helmHook = annotations[Key.helmHook], helmHook != "crd-install" {
            isHook = true
            hookPhases = Self.helmPhases(helmHook)
        }
        if isHook && hookPhases.isEmpty { skip = true }

        var policies = Set<DeletePolicy>()
        for value in Self.commaList(annotations[Key.hookDeletePolicy]) {
            if let policy = DeletePolicy(rawValue: value) { policies.insert(policy) }
        }
        for value in Self.commaList(annotations[Key.helmHookDeletePolicy]) {
            if let policy = DeletePolicy(helm: value) { policies.insert(policy) }
        }
        deletePolicies = policies.isEmpty ? [.beforeHookCreation] : policies

        // Go's strconv.Atoi and Swift's Int(_:) accept the same texts: optional sign, decimal digits.
        wave = annotations[Key.syncWave].flatMap { Int($0) } ?? annotations[Key.helmHookWeight].flatMap { Int($0) } ?? 0
        options = SyncOptions(entries: Set(Self.commaList(annotations[Key.syncOptions])))

        if let text = annotations[Key.hookTimeout] {
            guard let duration = DurationText.parse(text), duration > .zero else {
                throw InvalidAnnotation(
                    key: Key.hookTimeout,
                    message: "\"\(text)\" is not a positive duration (write it like 90s, 5m or 1h30m)")
            }
            hookTimeout = duration
        }
    }

    /// The phases a `helm.sh/hook` value maps to; Helm hook kinds without an equivalent map to none.
    private static func helmPhases(_ annotation: String?) -> [HookPhase] {
        var phases = Set<HookPhase>()
        for value in commaList(annotation) {
            switch value {
            case "pre-install", "pre-upgrade": phases.insert(.preSync)
            case "post-install", "post-upgrade": phases.insert(.postSync)
            default: break
            }
        }
        return phases.sorted()
    }

    /// A comma-separated annotation's entries, trimmed, empty ones and duplicates dropped, in order.
    static func commaList(_ annotation: String?) -> [String] {
        guard let annotation else { return [] }
        var seen = Set<String>()
        var values: [String] = []
        for part in annotation.split(separator: ",", omittingEmptySubsequences: false) {
            let value = trimmed(part)
            if !value.isEmpty, seen.insert(value).inserted { values.append(value) }
        }
        return values
    }

    /// The text without leading and trailing white space, as Go's `strings.TrimSpace`.
    private static func trimmed(_ text: Substring) -> String {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
            let last = text.lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(text[first...last])
    }
}
