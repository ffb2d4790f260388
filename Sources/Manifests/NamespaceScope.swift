import KubeModel

/// Which kinds are cluster-scoped, without asking a cluster: the built-in ones, and custom resources
/// whose CustomResourceDefinition is among the loaded objects. Used to decide which objects get the
/// default namespace in their identity.
struct NamespaceScope {
    private var clusterScoped: Set<GroupKind>

    /// The built-in kinds, plus those declared `scope: Cluster` by the CustomResourceDefinitions in `objects`.
    init(objects: [JSONValue]) {
        clusterScoped = Self.builtin
        for object in objects where object.kind == "CustomResourceDefinition" {
            guard object.groupVersionKind?.group == "apiextensions.k8s.io",
                let group = object[path: ["spec", "group"]]?.stringValue,
                let kind = object[path: ["spec", "names", "kind"]]?.stringValue
            else { continue }
            let groupKind = GroupKind(group: group, kind: kind)
            if object[path: ["spec", "scope"]]?.stringValue == "Cluster" {
                clusterScoped.insert(groupKind)
            } else {
                clusterScoped.remove(groupKind)
            }
        }
    }

    /// True when objects of this kind have no namespace.
    func isClusterScoped(_ groupKind: GroupKind) -> Bool {
        clusterScoped.contains(groupKind)
    }

    private static let builtin: Set<GroupKind> = {
        let kinds: [String: [String]] = [
            "": ["Namespace", "Node", "PersistentVolume", "ComponentStatus"],
            "rbac.authorization.k8s.io": ["ClusterRole", "ClusterRoleBinding"],
            "apiextensions.k8s.io": ["CustomResourceDefinition"],
            "apiregistration.k8s.io": ["APIService"],
            "storage.k8s.io": ["StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "VolumeAttributesClass"],
            "scheduling.k8s.io": ["PriorityClass"],
            "admissionregistration.k8s.io": [
                "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
            ],
            "networking.k8s.io": ["IngressClass", "IPAddress", "ServiceCIDR"],
            "node.k8s.io": ["RuntimeClass"],
            "policy": ["PodSecurityPolicy"],
            "extensions": ["PodSecurityPolicy"],
            "certificates.k8s.io": ["CertificateSigningRequest", "ClusterTrustBundle"],
            "flowcontrol.apiserver.k8s.io": ["FlowSchema", "PriorityLevelConfiguration"],
            "resource.k8s.io": ["DeviceClass", "ResourceSlice"],
            "authentication.k8s.io": ["TokenReview", "SelfSubjectReview"],
            "authorization.k8s.io": ["SubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview"],
        ]
        var set = Set<GroupKind>()
        for (group, names) in kinds {
            for name in names { set.insert(GroupKind(group: group, kind: name)) }
        }
        return set
    }()
}
