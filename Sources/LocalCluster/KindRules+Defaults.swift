import Foundation
import KubeModel

extension KindRules {
    /// Fills in the defaults the real API server adds, so that `kubectl get -o yaml`, `kubectl diff`
    /// and server-side apply see the same object shape. `allocateClusterIP` hands out service IPs.
    static func applyDefaults(_ object: inout JSONValue, resource: ResourceType, allocateClusterIP: () -> String) {
        guard !resource.isCustom else { return }
        switch (resource.group, resource.kind) {
        case ("", "Namespace"):
            if let name = object.name { object[path: ["metadata", "labels", "kubernetes.io/metadata.name"]] = .string(name) }
            if object[path: ["spec", "finalizers"]] == nil { object[path: ["spec", "finalizers"]] = ["kubernetes"] }
            if object[path: ["status", "phase"]] == nil { object[path: ["status", "phase"]] = "Active" }
        case ("", "Secret"):
            if object["type"] == nil { object["type"] = "Opaque" }
            if let stringData = object["stringData"]?.objectValue {
                // stringData is write-only: it is folded into data, base64-encoded.
                var data = object["data"]?.objectValue ?? [:]
                for (key, value) in stringData { data[key] = .string(Data((value.stringValue ?? "").utf8).base64EncodedString()) }
                object["data"] = .object(data)
                object["stringData"] = nil
            }
        case ("", "Service"):
            defaultService(&object, allocateClusterIP: allocateClusterIP)
        case ("", "Pod"):
            if var spec = object["spec"] {
                defaultPodSpec(&spec)
                object["spec"] = spec
            }
        case ("", "PersistentVolumeClaim"):
            if object[path: ["spec", "volumeMode"]] == nil { object[path: ["spec", "volumeMode"]] = "Filesystem" }
        case ("apps", "Deployment"):
            setIfMissing(&object, ["spec", "replicas"], 1)
            setIfMissing(&object, ["spec", "revisionHistoryLimit"], 10)
            setIfMissing(&object, ["spec", "progressDeadlineSeconds"], 600)
            setIfMissing(&object, ["spec", "strategy", "type"], "RollingUpdate")
            if object[path: ["spec", "strategy", "type"]] == "RollingUpdate" {
                setIfMissing(&object, ["spec", "strategy", "rollingUpdate", "maxUnavailable"], "25%")
                setIfMissing(&object, ["spec", "strategy", "rollingUpdate", "maxSurge"], "25%")
            }
            defaultTemplate(&object, ["spec", "template"])
        case ("apps", "ReplicaSet"):
            setIfMissing(&object, ["spec", "replicas"], 1)
            defaultTemplate(&object, ["spec", "template"])
        case ("apps", "StatefulSet"):
            setIfMissing(&object, ["spec", "replicas"], 1)
            setIfMissing(&object, ["spec", "podManagementPolicy"], "OrderedReady")
            setIfMissing(&object, ["spec", "revisionHistoryLimit"], 10)
            setIfMissing(&object, ["spec", "updateStrategy", "type"], "RollingUpdate")
            if object[path: ["spec", "updateStrategy", "type"]] == "RollingUpdate" {
                setIfMissing(&object, ["spec", "updateStrategy", "rollingUpdate", "partition"], 0)
            }
            defaultTemplate(&object, ["spec", "template"])
        case ("apps", "DaemonSet"):
            setIfMissing(&object, ["spec", "revisionHistoryLimit"], 10)
            setIfMissing(&object, ["spec", "updateStrategy", "type"], "RollingUpdate")
            if object[path: ["spec", "updateStrategy", "type"]] == "RollingUpdate" {
                setIfMissing(&object, ["spec", "updateStrategy", "rollingUpdate", "maxUnavailable"], 1)
                setIfMissing(&object, ["spec", "updateStrategy", "rollingUpdate", "maxSurge"], 0)
            }
            defaultTemplate(&object, ["spec", "template"])
        case ("batch", "Job"):
            defaultJob(&object)
        case ("batch", "CronJob"):
            setIfMissing(&object, ["spec", "concurrencyPolicy"], "Allow")
            setIfMissing(&object, ["spec", "suspend"], false)
            setIfMissing(&object, ["spec", "successfulJobsHistoryLimit"], 3)
            setIfMissing(&object, ["spec", "failedJobsHistoryLimit"], 1)
            defaultTemplate(&object, ["spec", "jobTemplate", "spec", "template"])
        default:
            break
        }
    }

    static func setIfMissing(_ object: inout JSONValue, _ path: [String], _ value: JSONValue) {
        if object[path: path] == nil || object[path: path]?.isNull == true { object[path: path] = value }
    }

    private static func defaultTemplate(_ object: inout JSONValue, _ path: [String]) {
        guard var spec = object[path: path + ["spec"]] else { return }
        defaultPodSpec(&spec)
        object[path: path + ["spec"]] = spec
        if object[path: path + ["metadata"]] == nil { object[path: path + ["metadata"]] = .emptyObject }
    }

    static func defaultPodSpec(_ spec: inout JSONValue) {
        setIfMissing(&spec, ["restartPolicy"], "Always")
        setIfMissing(&spec, ["terminationGracePeriodSeconds"], 30)
        setIfMissing(&spec, ["dnsPolicy"], "ClusterFirst")
        setIfMissing(&spec, ["securityContext"], .emptyObject)
        setIfMissing(&spec, ["schedulerName"], "default-scheduler")
        for list in ["containers", "initContainers"] {
            guard let containers = spec[list]?.arrayValue else { continue }
            spec[list] = .array(containers.map(defaultContainer))
        }
    }

    private static func defaultContainer(_ container: JSONValue) -> JSONValue {
        var container = container
        let image = container["image"]?.stringValue ?? ""
        let tagged = image.split(separator: "/").last?.contains(":") ?? false
        let latest = !tagged || image.hasSuffix(":latest")
        setIfMissing(&container, ["imagePullPolicy"], latest && !image.contains("@") ? "Always" : "IfNotPresent")
        setIfMissing(&container, ["terminationMessagePath"], "/dev/termination-log")
        setIfMissing(&container, ["terminationMessagePolicy"], "File")
        setIfMissing(&container, ["resources"], .emptyObject)
        if let ports = container["ports"]?.arrayValue {
            container["ports"] = .array(
                ports.map { port in
                    var port = port
                    setIfMissing(&port, ["protocol"], "TCP")
                    return port
                })
        }
        return container
    }

    private static func defaultService(_ object: inout JSONValue, allocateClusterIP: () -> String) {
        setIfMissing(&object, ["spec", "type"], "ClusterIP")
        setIfMissing(&object, ["spec", "sessionAffinity"], "None")
        let type = object[path: ["spec", "type"]]?.stringValue
        if type != "ExternalName" {
            let current = object[path: ["spec", "clusterIP"]]?.stringValue ?? ""
            let ip = current.isEmpty ? allocateClusterIP() : current
            object[path: ["spec", "clusterIP"]] = .string(ip)
            object[path: ["spec", "clusterIPs"]] = [.string(ip)]
            setIfMissing(&object, ["spec", "ipFamilies"], ["IPv4"])
            setIfMissing(&object, ["spec", "ipFamilyPolicy"], "SingleStack")
            setIfMissing(&object, ["spec", "internalTrafficPolicy"], "Cluster")
        }
        if type == "NodePort" || type == "LoadBalancer" {
            setIfMissing(&object, ["spec", "externalTrafficPolicy"], "Cluster")
        }
        if let ports = object[path: ["spec", "ports"]]?.arrayValue {
            var nextNodePort: Int64 = 30000 + Int64(abs((object.name ?? "").hashValue) % 2000)
            object[path: ["spec", "ports"]] = .array(
                ports.map { port in
                    var port = port
                    setIfMissing(&port, ["protocol"], "TCP")
                    if port["targetPort"] == nil, let number = port["port"] { port["targetPort"] = number }
                    if type == "NodePort" || type == "LoadBalancer", port["nodePort"] == nil {
                        port["nodePort"] = .int(nextNodePort)
                        nextNodePort += 1
                    }
                    return port
                })
        }
        if object["status"] == nil { object["status"] = ["loadBalancer": .emptyObject] }
    }

    private static func defaultJob(_ object: inout JSONValue) {
        setIfMissing(&object, ["spec", "backoffLimit"], 6)
        setIfMissing(&object, ["spec", "completions"], 1)
        setIfMissing(&object, ["spec", "parallelism"], 1)
        setIfMissing(&object, ["spec", "completionMode"], "NonIndexed")
        setIfMissing(&object, ["spec", "suspend"], false)
        setIfMissing(&object, ["spec", "manualSelector"], false)
        setIfMissing(&object, ["spec", "podReplacementPolicy"], "TerminatingOrFailed")
        // The job controller's labels, which `kubectl logs job/NAME` finds its pods by.
        if object[path: ["spec", "manualSelector"]]?.boolValue != true, object[path: ["spec", "selector"]] == nil,
            let uid = object.uid, let name = object.name
        {
            object[path: ["spec", "selector"]] = ["matchLabels": ["batch.kubernetes.io/controller-uid": .string(uid)]]
            var labels = object[path: ["spec", "template", "metadata", "labels"]]?.objectValue ?? [:]
            labels["batch.kubernetes.io/controller-uid"] = .string(uid)
            labels["controller-uid"] = .string(uid)
            labels["batch.kubernetes.io/job-name"] = .string(name)
            labels["job-name"] = .string(name)
            object[path: ["spec", "template", "metadata", "labels"]] = .object(labels)
        }
        defaultTemplate(&object, ["spec", "template"])
    }
}
