import Foundation
import KubeClient
import KubeModel
import Logging
import SyncEngine

/// Leader election with a `coordination.k8s.io/v1` Lease, as client-go's leaderelection does it:
/// the holder renews the Lease every `retryPeriod`; another replica takes it over once it has not
/// been renewed for `leaseDuration`. Updates carry the Lease's resourceVersion, so two replicas
/// can never both win.
public struct LeaderElection: Sendable {
    /// The Lease's namespace and name.
    public var namespace: String
    public var name: String
    /// This replica's identity, written as `holderIdentity`.
    public var identity: String
    /// How long a Lease stays valid without renewal.
    public var leaseDuration: Duration
    /// How often the holder renews, and others retry.
    public var retryPeriod: Duration
    /// This replica's Pod, when it runs in one (`POD_NAMESPACE`, `POD_NAME`): labelled
    /// `sluice.dev/leader: "true"` while this replica leads, so that a Service selecting the label
    /// sends webhooks and API calls to the leader.
    public var pod: (namespace: String, name: String)?

    /// The label the leader's Pod carries.
    public static let leaderLabel = "sluice.dev/leader"

    static let lease = GroupVersionKind(group: "coordination.k8s.io", version: "v1", kind: "Lease")

    /// An election for the Lease `name` in `namespace`.
    public init(namespace: String, name: String = "sluice-agent", identity: String, leaseDuration: Duration = .seconds(15), retryPeriod: Duration = .seconds(2)) {
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.leaseDuration = leaseDuration
        self.retryPeriod = retryPeriod
    }

    /// A default identity: the host name (the pod's name in a cluster) and the process id.
    public static func defaultIdentity() -> String {
        "\(ProcessInfo.processInfo.environment["HOSTNAME"] ?? ProcessInfo.processInfo.hostName)_\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// Waits until this replica holds the Lease (or the task is cancelled).
    func acquire(client: KubeClient, logger: Logger) async throws {
        await markPod(leading: false, client: client, logger: logger)  // a restarted container may carry the label
        while true {
            try Task.checkCancellation()
            if try await tryAcquireOrRenew(client: client) {
                logger.info("leading", metadata: ["lease": "\(namespace)/\(name)", "identity": "\(identity)"])
                await markPod(leading: true, client: client, logger: logger)
                return
            }
            try await Task.sleep(for: retryPeriod)
        }
    }

    /// Renews the Lease every retry period; returns when it could not be renewed within the lease
    /// duration (leadership lost), or throws when cancelled.
    func keepRenewing(client: KubeClient, logger: Logger) async throws {
        var lastRenewed = ContinuousClock.now
        while true {
            try await Task.sleep(for: retryPeriod)
            let renewed = (try? await tryAcquireOrRenew(client: client)) ?? false
            if renewed {
                lastRenewed = .now
            } else if ContinuousClock.now - lastRenewed >= leaseDuration {
                logger.error("lost the lease: another replica leads now", metadata: ["lease": "\(namespace)/\(name)"])
                return
            }
        }
    }

    /// Sets or removes the leader label on this replica's Pod; a failure is logged, not fatal
    /// (webhooks then reach the leader only through a Service that does not select the label).
    func markPod(leading: Bool, client: KubeClient, logger: Logger) async {
        guard let pod else { return }
        let patch: JSONValue = ["metadata": ["labels": [Self.leaderLabel: leading ? "true" : .null]]]
        do {
            _ = try await client.mergePatch(GroupVersionKind(group: "", version: "v1", kind: "Pod"), namespace: pod.namespace, name: pod.name, patch: patch)
        } catch {
            logger.warning("cannot label this replica's Pod", metadata: ["pod": "\(pod.namespace)/\(pod.name)", "error": "\(error.message)"])
        }
    }

    /// One attempt: creates the Lease, renews it when held, or takes it over when expired. True when
    /// this replica holds it afterwards.
    func tryAcquireOrRenew(client: KubeClient) async throws -> Bool {
        let now = Date()
        let stamp = Self.microTime(now)
        let seconds = Int64(leaseDuration.components.seconds)
        let existing: JSONValue?
        do {
            existing = try await client.get(Self.lease, namespace: namespace, name: name)
        } catch {
            guard error.code == .notFound else { throw error }
            existing = nil
        }
        guard var lease = existing else {
            do {
                _ = try await client.create([
                    "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": ["name": .string(name), "namespace": .string(namespace)],
                    "spec": [
                        "holderIdentity": .string(identity), "leaseDurationSeconds": .int(seconds), "acquireTime": .string(stamp),
                        "renewTime": .string(stamp), "leaseTransitions": 0,
                    ],
                ])
                return true
            } catch {
                if error.code == .alreadyExists || error.code == .conflict { return false }
                guard error.code == .notFound else { throw error }
                // The namespace does not exist yet (a first start): create it, and try again next round.
                try await client.ensureNamespace(namespace)
                return false
            }
        }
        let holder = lease[path: ["spec", "holderIdentity"]]?.stringValue ?? ""
        if holder != identity && !holder.isEmpty {
            let renewed = lease[path: ["spec", "renewTime"]]?.stringValue.flatMap(Self.parseMicroTime) ?? .distantPast
            let duration = Double(lease[path: ["spec", "leaseDurationSeconds"]]?.intValue ?? seconds)
            guard now.timeIntervalSince(renewed) > duration else { return false }  // held by a live replica
            lease[path: ["spec", "leaseTransitions"]] = .int((lease[path: ["spec", "leaseTransitions"]]?.intValue ?? 0) + 1)
            lease[path: ["spec", "acquireTime"]] = .string(stamp)
        }
        lease[path: ["spec", "holderIdentity"]] = .string(identity)
        lease[path: ["spec", "leaseDurationSeconds"]] = .int(seconds)
        lease[path: ["spec", "renewTime"]] = .string(stamp)
        do {
            _ = try await client.replace(lease)
            return true
        } catch {
            if error.code == .conflict { return false }  // another replica moved first
            throw error
        }
    }

    static func microTime(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    static func parseMicroTime(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(timeZone: .gmt))
    }
}
