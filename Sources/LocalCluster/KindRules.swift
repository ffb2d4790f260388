import Foundation
import KubeModel

/// Kind-specific validation: required fields and immutable fields, with Kubernetes' messages.
enum KindRules {
    static func required(_ field: String) -> APIStatus.Cause {
        APIStatus.Cause(reason: "FieldValueRequired", message: "Required value", field: field)
    }

    static func invalid(_ field: String, _ value: JSONValue?, _ message: String) -> APIStatus.Cause {
        let shown: String
        switch value {
        case .string(let text)?: shown = "\"\(text)\""
        case let value?: shown = value.serialized()
        case nil: shown = "null"
        }
        return APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: \(shown): \(message)", field: field)
    }

    static func immutable(_ field: String, _ value: JSONValue?) -> APIStatus.Cause {
        invalid(field, value, "field is immutable")
    }

    static func validate(_ object: JSONValue, old: JSONValue?, resource: ResourceType) -> [APIStatus.Cause] {
        guard !resource.isCustom else { return [] }
        switch (resource.group, resource.kind) {
        case ("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "DaemonSet"), ("apps", "StatefulSet"):
            return workload(object, old: old, resource: resource)
        case ("batch", "Job"):
            return job(object, old: old)
        case ("batch", "CronJob"):
            var causes: [APIStatus.Cause] = []
            if object[path: ["spec", "schedule"]]?.stringValue?.isEmpty ?? true { causes.append(required("spec.schedule")) }
            causes += podTemplate(object[path: ["spec", "jobTemplate", "spec", "template"]], at: "spec.jobTemplate.spec.template", job: true)
            return causes
        case ("", "Pod"):
            var causes = podSpec(object["spec"], at: "spec", job: false)
            if let old { causes += containerStateTransitions(object, old: old) }
            if let old, let oldSpec = old["spec"], var spec = object["spec"] {
                // Only images and a few fields of a pod may change.
                var comparable = oldSpec
                for (index, container) in (spec["containers"]?.arrayValue ?? []).enumerated() {
                    if var containers = comparable["containers"]?.arrayValue, index < containers.count {
                        containers[index]["image"] = container["image"]
                        comparable["containers"] = .array(containers)
                    }
                }
                spec["activeDeadlineSeconds"] = comparable["activeDeadlineSeconds"]
                spec["tolerations"] = comparable["tolerations"]
                if spec != comparable {
                    causes.append(
                        APIStatus.Cause(
                            reason: "FieldValueForbidden",
                            message: "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
                            field: "spec"))
                }
            }
            return causes
        case ("", "Service"):
            return service(object, old: old)
        case ("", "ConfigMap"), ("", "Secret"):
            var causes = dataSize(object, secret: resource.kind == "Secret")
            guard let old, old["immutable"]?.boolValue == true else { return causes }
            for field in ["data", "binaryData", "stringData"] where object[field] != old[field] {
                causes.append(
                    APIStatus.Cause(reason: "FieldValueForbidden", message: "Forbidden: field is immutable when `immutable` is set", field: field))
            }
            if object["immutable"] != old["immutable"] {
                causes.append(APIStatus.Cause(reason: "FieldValueForbidden", message: "Forbidden: field is immutable when `immutable` is set", field: "immutable"))
            }
            if resource.kind == "Secret", object["type"] != old["type"] { causes.append(immutable("type", object["type"])) }
            return causes
        case ("", "PersistentVolumeClaim"):
            guard let old, var spec = object["spec"], let oldSpec = old["spec"] else { return [] }
            spec[path: ["resources", "requests"]] = oldSpec[path: ["resources", "requests"]]
            spec["volumeName"] = oldSpec["volumeName"] ?? spec["volumeName"]
            if old["spec"]?["volumeName"] == nil { spec["volumeName"] = nil }
            var comparable = oldSpec
            if oldSpec["volumeName"] == nil { comparable["volumeName"] = nil }
            return spec == comparable
                ? []
                : [
                    APIStatus.Cause(
                        reason: "FieldValueForbidden",
                        message: "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
                        field: "spec")
                ]
        case ("rbac.authorization.k8s.io", "RoleBinding"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"):
            guard let old, object["roleRef"] != old["roleRef"] else { return [] }
            return [invalid("roleRef", object["roleRef"], "cannot change roleRef")]
        case ("apiextensions.k8s.io", "CustomResourceDefinition"):
            return customResourceDefinition(object, old: old)
        default:
            return []
        }
    }

    /// A container that terminated may not run again unless the pod restarts it: never with
    /// `restartPolicy: Never`, and after a success with `OnFailure` (the real server's
    /// `ValidateContainerStateTransition`, on status updates).
    private static func containerStateTransitions(_ object: JSONValue, old: JSONValue) -> [APIStatus.Cause] {
        let policy = object[path: ["spec", "restartPolicy"]]?.stringValue ?? "Always"
        guard policy != "Always" else { return [] }
        var causes: [APIStatus.Cause] = []
        for field in ["containerStatuses", "initContainerStatuses"] {
            let news = object[path: ["status", field]]?.arrayValue ?? []
            for (index, previous) in (old[path: ["status", field]]?.arrayValue ?? []).enumerated() {
                guard let terminated = previous[path: ["state", "terminated"]] else { continue }
                if policy == "OnFailure", (terminated["exitCode"]?.intValue ?? 0) != 0 { continue }
                let name = previous["name"]?.stringValue
                if news.contains(where: { $0["name"]?.stringValue == name && $0[path: ["state", "terminated"]] == nil }) {
                    causes.append(
                        APIStatus.Cause(
                            reason: "FieldValueForbidden", message: "Forbidden: may not be transitioned to non-terminated state",
                            field: "status.\(field)[\(index)].state"))
                }
            }
        }
        return causes
    }

    /// The most bytes of data a ConfigMap or a Secret may hold (`core.MaxSecretSize`): 1 MiB.
    static let maximumDataSize = 1 << 20

    /// A ConfigMap's `data` and `binaryData`, or a Secret's decoded `data`, over 1 MiB in all: the
    /// real server's `Too long` (on the whole object for a ConfigMap, on `data` for a Secret).
    private static func dataSize(_ object: JSONValue, secret: Bool) -> [APIStatus.Cause] {
        var total = 0
        for (_, value) in object["data"]?.objectValue ?? [:] {
            let text = value.stringValue ?? ""
            total += secret ? (Data(base64Encoded: text)?.count ?? text.utf8.count) : text.utf8.count
        }
        for (_, value) in object["binaryData"]?.objectValue ?? [:] {
            let text = value.stringValue ?? ""
            total += Data(base64Encoded: text)?.count ?? text.utf8.count
        }
        guard total > maximumDataSize else { return [] }
        return [
            APIStatus.Cause(
                reason: "FieldValueTooLong", message: "Too long: may not be more than \(maximumDataSize) bytes", field: secret ? "data" : "[]")
        ]
    }

    /// A Secret's `data` (and a ConfigMap's `binaryData`) values are bytes, base64 in JSON: one that
    /// is not base64 fails to decode, before any validation, as on the real server (400
    /// `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte N`).
    static func decodeBytes(_ object: JSONValue, resource: ResourceType) throws(APIStatus) {
        guard resource.group.isEmpty, resource.kind == "Secret" || resource.kind == "ConfigMap" else { return }
        let field = resource.kind == "Secret" ? "data" : "binaryData"
        for (_, value) in (object[field]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let text = value.stringValue, let offset = illegalBase64Offset(text) else { continue }
            throw APIStatus.badRequest(
                "\(resource.kind) in version \"\(resource.version)\" cannot be handled as a \(resource.kind): illegal base64 data at input byte \(offset)")
        }
    }

    /// Where Go's `base64.StdEncoding` stops decoding `text`, `nil` when it decodes: the first byte
    /// outside the alphabet (line breaks are skipped, as Go skips them), or for a bad length or
    /// padding the position Go names.
    static func illegalBase64Offset(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        var count = 0
        var padding = 0
        var firstPadding = 0
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0A || byte == 0x0D { continue }
            let isAlphabet = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2B || byte == 0x2F
            if byte == 0x3D {
                // Padding only at the end of a quantum: at most two, then nothing but padding.
                padding += 1
                if count % 4 < 2 || padding > 2 { return index }
                if padding == 1 { firstPadding = index }
                count += 1
                continue
            }
            // After one `=` in the third place Go wants a second and names the first; after
            // complete padding, anything more is trailing garbage named where it starts.
            if padding == 1, count % 4 == 3 { return firstPadding }
            if !isAlphabet || padding > 0 { return index }
            count += 1
        }
        if count % 4 != 0 { return (count / 4) * 4 }
        return nil
    }

    private static func workload(_ object: JSONValue, old: JSONValue?, resource: ResourceType) -> [APIStatus.Cause] {
        var causes: [APIStatus.Cause] = []
        let selector = object[path: ["spec", "selector"]]
        let templateLabels = object[path: ["spec", "template", "metadata", "labels"]]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        if selector == nil || (selector?.objectValue?.isEmpty ?? true) {
            causes.append(required("spec.selector"))
        } else if let selector, !LabelSelector(object: selector).matches(templateLabels) {
            causes.append(invalid("spec.template.metadata.labels", object[path: ["spec", "template", "metadata", "labels"]], "`selector` does not match template `labels`"))
        }
        if let replicas = object[path: ["spec", "replicas"]]?.intValue, replicas < 0 {
            causes.append(invalid("spec.replicas", .int(replicas), "must be greater than or equal to 0"))
        }
        causes += podTemplate(object[path: ["spec", "template"]], at: "spec.template", job: false)
        if let old, let oldSelector = old[path: ["spec", "selector"]], selector != oldSelector {
            causes.append(immutable("spec.selector", selector))
        }
        if resource.kind == "StatefulSet", let old, var spec = object["spec"], var oldSpec = old["spec"] {
            for field in ["replicas", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds", "ordinals", "revisionHistoryLimit"] {
                spec[field] = nil
                oldSpec[field] = nil
            }
            if spec != oldSpec {
                causes.append(
                    APIStatus.Cause(
                        reason: "FieldValueForbidden",
                        message: "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
                        field: "spec"))
            }
        }
        return causes
    }

    private static func job(_ object: JSONValue, old: JSONValue?) -> [APIStatus.Cause] {
        var causes = podTemplate(object[path: ["spec", "template"]], at: "spec.template", job: true)
        if let old {
            let template = object[path: ["spec", "template"]]
            if template != old[path: ["spec", "template"]] { causes.append(immutable("spec.template", template)) }
            if object[path: ["spec", "selector"]] != old[path: ["spec", "selector"]] {
                causes.append(immutable("spec.selector", object[path: ["spec", "selector"]]))
            }
            if object[path: ["spec", "completions"]] != old[path: ["spec", "completions"]] {
                causes.append(immutable("spec.completions", object[path: ["spec", "completions"]]))
            }
        }
        return causes
    }

    private static func podTemplate(_ template: JSONValue?, at path: String, job: Bool) -> [APIStatus.Cause] {
        guard let template else { return [required(path)] }
        return podSpec(template["spec"], at: path + ".spec", job: job)
    }

    private static func podSpec(_ spec: JSONValue?, at path: String, job: Bool) -> [APIStatus.Cause] {
        var causes: [APIStatus.Cause] = []
        let containers = spec?["containers"]?.arrayValue ?? []
        if containers.isEmpty { causes.append(required(path + ".containers")) }
        var names = Set<String>()
        for (list, entries) in [("containers", containers), ("initContainers", spec?["initContainers"]?.arrayValue ?? [])] {
            for (index, container) in entries.enumerated() {
                let at = "\(path).\(list)[\(index)]"
                let name = container["name"]?.stringValue ?? ""
                if name.isEmpty {
                    causes.append(required(at + ".name"))
                } else {
                    for message in Admission.dnsLabelErrors(name) { causes.append(invalid(at + ".name", .string(name), message)) }
                    if !names.insert(name).inserted { causes.append(APIStatus.Cause(reason: "FieldValueDuplicate", message: "Duplicate value: \"\(name)\"", field: at + ".name")) }
                }
                if container["image"]?.stringValue?.isEmpty ?? true { causes.append(required(at + ".image")) }
            }
        }
        if job {
            let policy = spec?["restartPolicy"]?.stringValue
            if policy != "OnFailure" && policy != "Never" {
                causes.append(
                    APIStatus.Cause(
                        reason: policy == nil ? "FieldValueRequired" : "FieldValueNotSupported",
                        message: policy == nil
                            ? "Required value: valid values: \"OnFailure\", \"Never\""
                            : "Unsupported value: \"\(policy ?? "")\": supported values: \"OnFailure\", \"Never\"",
                        field: path + ".restartPolicy"))
            }
        }
        return causes
    }

    private static func service(_ object: JSONValue, old: JSONValue?) -> [APIStatus.Cause] {
        var causes: [APIStatus.Cause] = []
        let type = object[path: ["spec", "type"]]?.stringValue ?? "ClusterIP"
        if !["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"].contains(type) {
            causes.append(
                APIStatus.Cause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(type)\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"", field: "spec.type"))
        }
        if type != "ExternalName", (object[path: ["spec", "ports"]]?.arrayValue ?? []).isEmpty,
            object[path: ["spec", "clusterIP"]]?.stringValue != "None"
        {
            causes.append(required("spec.ports"))
        }
        if let old, let oldIP = old[path: ["spec", "clusterIP"]]?.stringValue, !oldIP.isEmpty,
            let newIP = object[path: ["spec", "clusterIP"]]?.stringValue, newIP != oldIP
        {
            causes.append(immutable("spec.clusterIPs[0]", .string(newIP)))
        }
        return causes
    }

    private static func customResourceDefinition(_ object: JSONValue, old: JSONValue?) -> [APIStatus.Cause] {
        var causes: [APIStatus.Cause] = []
        let spec = object["spec"] ?? .emptyObject
        let group = spec["group"]?.stringValue ?? ""
        let plural = spec[path: ["names", "plural"]]?.stringValue ?? ""
        if group.isEmpty { causes.append(required("spec.group")) }
        if plural.isEmpty { causes.append(required("spec.names.plural")) }
        if (spec[path: ["names", "kind"]]?.stringValue ?? "").isEmpty { causes.append(required("spec.names.kind")) }
        if !group.isEmpty, !plural.isEmpty, object.name != "\(plural).\(group)" {
            causes.append(invalid("metadata.name", object["metadata"]?["name"], "must be spec.names.plural+\".\"+spec.group"))
        }
        let scope = spec["scope"]?.stringValue ?? ""
        if scope != "Namespaced" && scope != "Cluster" {
            causes.append(APIStatus.Cause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(scope)\": supported values: \"Cluster\", \"Namespaced\"", field: "spec.scope"))
        }
        let versions = spec["versions"]?.arrayValue ?? []
        if versions.isEmpty { causes.append(required("spec.versions")) }
        if versions.filter({ $0["storage"]?.boolValue == true }).count != 1, !versions.isEmpty {
            causes.append(invalid("spec.versions", nil, "must have exactly one version marked as storage version"))
        }
        if let old, old[path: ["spec", "scope"]] != spec["scope"] { causes.append(immutable("spec.scope", spec["scope"])) }
        return causes
    }
}
