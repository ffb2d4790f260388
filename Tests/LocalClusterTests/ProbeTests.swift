import Foundation
import KubeModel
import Testing
import TestSupport

@testable import LocalCluster

/// With `--run-pods`, readiness is the kubelet's: a container is ready while it runs unless it
/// declares a readiness probe, and startup, readiness and liveness probes run against its local
/// processes. Pods are applied and waited for with the real kubectl.
@Suite struct ProbeTests {
    static let pods = GroupResource(group: "", resource: "pods")

    /// A pod of one or more containers; `restartPolicy` Always unless given.
    static func pod(_ name: String, _ containers: [JSONValue], restartPolicy: String = "Always") -> String {
        let pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)],
            "spec": ["restartPolicy": .string(restartPolicy), "containers": .array(containers)],
        ]
        return pod.serialized()
    }

    static func shell(_ script: String) -> JSONValue { ["sh", "-c", .string(script)] }

    /// The running pod, read once it has a uid.
    static func created(_ fixture: ClusterFixture, _ name: String) async throws -> JSONValue {
        try await fixture.waitFor("/api/v1/namespaces/default/pods/\(name)", "pod \(name) created") { $0.uid != nil }
    }

    /// The private working directory of a pod's container, where its processes and exec probes run.
    static func directory(_ fixture: ClusterFixture, _ pod: JSONValue, _ container: String) -> URL {
        fixture.cluster.directory.appendingPathComponent("pods/default_\(pod.name ?? "")_\(pod.uid ?? "")/\(container)")
    }

    /// The lines of a file a probe or container appends to (none while it does not exist).
    static func lines(_ file: URL) -> [String] {
        ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    static func status(_ pod: JSONValue, _ container: String) -> JSONValue {
        (pod[path: ["status", "containerStatuses"]]?.arrayValue ?? []).first { $0["name"]?.stringValue == container } ?? .null
    }

    static func readyCondition(_ pod: JSONValue) -> JSONValue {
        (pod[path: ["status", "conditions"]]?.arrayValue ?? []).first { $0["type"] == "Ready" } ?? .null
    }

    func touch(_ file: URL) throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data().write(to: file)
    }

    @Test func aContainerWithoutAReadinessProbeIsReadyInTheFirstStatusThatHasItRunning() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        let (events, cancel, _, _) = try fixture.cluster.store.watch(Self.pods, namespace: "default", start: .after(fixture.cluster.store.revision))
        defer { cancel() }
        try await fixture.kubectl("apply", "-f", "-", input: Self.pod("plain", [["name": "app", "image": "app", "command": ["sleep", "300"]]]))
        var first: JSONValue?
        for await event in events where Self.status(event.object, "app")[path: ["state", "running"]] != nil {
            first = event.object
            break
        }
        let running = try #require(first)
        #expect(Self.status(running, "app")["ready"] == true, "\(running[path: ["status"]]?.serialized() ?? "")")
        #expect(Self.status(running, "app")["started"] == true)
        #expect(Self.readyCondition(running)["status"] == "True")
        let waited = try await fixture.kubectl("wait", "--for=condition=Ready", "pod/plain", "--timeout=120s")
        #expect(waited.output.contains("condition met"))
    }

    @Test func anExecReadinessProbeKeepsThePodUnreadyUntilItSucceedsAndAgainWhenItFails() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        let container: JSONValue = [
            "name": "app", "image": "app", "command": ["sh", "-c", "echo up; exec sleep 300"],
            "readinessProbe": ["exec": ["command": Self.shell("echo probed >> probes; test -e ready")], "periodSeconds": 1, "failureThreshold": 1],
        ]
        try await fixture.kubectl("apply", "-f", "-", input: Self.pod("gated", [container]))
        let pod = try await Self.created(fixture, "gated")
        let directory = Self.directory(fixture, pod, "app")
        try await waitUntil(timeout: .seconds(120), "the readiness probe ran twice") { Self.lines(directory.appendingPathComponent("probes")).count >= 2 }
        let unready = try await fixture.getJSON("pod", "gated")
        #expect(Self.status(unready, "app")[path: ["state", "running"]] != nil)
        #expect(Self.status(unready, "app")["ready"] == false)
        #expect(Self.readyCondition(unready)["status"] == "False")
        #expect(Self.readyCondition(unready)["reason"] == "ContainersNotReady")
        #expect(Self.readyCondition(unready)["message"] == "containers with unready status: [app]")

        try touch(directory.appendingPathComponent("ready"))
        try await fixture.kubectl("wait", "--for=condition=Ready", "pod/gated", "--timeout=120s")

        // Failing again, it is unready again, and keeps running: readiness never restarts a container.
        try FileManager.default.removeItem(at: directory.appendingPathComponent("ready"))
        let again = try await fixture.waitFor("/api/v1/namespaces/default/pods/gated", "unready again") { $0.hasCondition("Ready", status: "False") }
        #expect(Self.status(again, "app")[path: ["state", "running"]] != nil)
        #expect(Self.status(again, "app")["restartCount"] == 0)
    }

    @Test func anHTTPGetProbeReachesTheContainersServerOnLoopbackByPortName() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        let port = Int64(try Loopback.freePort())
        let container: JSONValue = [
            "name": "web", "image": "python", "command": ["python3", "-m", "http.server", .string(String(port)), "--bind", "127.0.0.1"],
            "ports": [["name": "http", "containerPort": .int(port)]],
            "readinessProbe": [
                "httpGet": ["path": "/healthz", "port": "http", "httpHeaders": [["name": "X-Probe", "value": "sluice"]]],
                "periodSeconds": 1, "failureThreshold": 1,
            ],
        ]
        try await fixture.kubectl("apply", "-f", "-", input: Self.pod("web", [container]))
        let pod = try await Self.created(fixture, "web")
        // http.server answers 404 until the file it serves exists: the probe fails on its status code.
        try await waitUntil(timeout: .seconds(120), "the probe got a 404") {
            let logs = try await fixture.kubectl("logs", "web").output
            return logs.contains("\"GET /healthz HTTP/1.1\" 404")
        }
        #expect(!(try await fixture.getJSON("pod", "web")).hasCondition("Ready"))
        try touch(Self.directory(fixture, pod, "web").appendingPathComponent("healthz"))
        try await fixture.kubectl("wait", "--for=condition=Ready", "pod/web", "--timeout=120s")
        let logs = try await fixture.kubectl("logs", "web").output
        #expect(logs.contains("\"GET /healthz HTTP/1.1\" 200"), "\(logs)")
    }

    /// A server that answers the probe's header with a redirect to `/ok`, anything else with 500,
    /// and prints each request's path and User-Agent.
    static let redirectingServer = """
        import http.server, sys
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                print(self.path, self.headers.get("User-Agent"), flush=True)
                if self.path == "/ok":
                    self.send_response(200)
                elif self.headers.get("X-Probe") == "sluice":
                    self.send_response(302)
                    self.send_header("Location", "/ok")
                else:
                    self.send_response(500)
                self.end_headers()
            def log_message(self, *args):
                pass
        http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
        """

    @Test func anHTTPGetProbeSendsItsHeadersAndFollowsARedirectOnTheSameHost() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        let port = Int64(try Loopback.freePort())
        let container: JSONValue = [
            "name": "web", "image": "python", "command": ["python3", "-c", .string(Self.redirectingServer), .string(String(port))],
            "readinessProbe": [
                "httpGet": ["path": "/healthz", "port": .int(port), "httpHeaders": [["name": "X-Probe", "value": "sluice"]]], "periodSeconds": 1,
            ],
        ]
        try await fixture.kubectl("apply", "-f", "-", input: Self.pod("redirecting", [container]))
        try await fixture.kubectl("wait", "--for=condition=Ready", "pod/redirecting", "--timeout=120s")
        let logs = try await fixture.kubectl("logs", "redirecting").output
        #expect(logs.contains("/healthz kube-probe/1.32\n/ok kube-probe/1.32\n"), "\(logs)")
    }

    @Test func aTCPSocketProbeSucceedsOnceTheContainerListens() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        let port = Int64(try Loopback.freePort())
        let container: JSONValue = [
            "name": "db", "image": "db",
            "command": Self.shell("echo waiting; while [ ! -e listen ]; do sleep 0.1; done; exec python3 -m http.server \(port) --bind 127.0.0.1"),
            "readinessProbe": ["tcpSocket": ["port": .int(port)], "periodSeconds": 1],
        ]
        try await fixture.kubectl("apply", "-f", "-", input: Self.pod("db", [container]))
        let pod = try await fixture.waitFor("/api/v1/namespaces/default/pods/db", "running, not ready") {
            Self.status($0, "db")[path: ["state", "running"]] != nil
        }
        #expect(Self.status(pod, "db")["ready"] == false)
        try touch(Self.directory(fixture, pod, "db").appendingPathComponent("listen"))
        try await fixture.kubectl("wait", "--for=condition=Ready", "pod/db", "--timeout=120s")
        #expect(Loopback.isAccepting(port: UInt16(port)), "ready because the container listens")
    }

    @Test func aFailingLivenessProbeKillsAndRestartsTheContainer() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        let container: JSONValue = [
            "name": "app", "image": "app", "command": Self.shell("echo run >> runs; exec sleep 300"),
            "livenessProbe": ["exec": ["command": ["test", "-e", "alive"]], "periodSeconds": 1, "failureThreshold": 2],
        ]
        try await fixture.kubectl("apply", "-f", "-", input: Self.pod("stuck", [container]))
        let restarted = try await fixture.waitFor("/api/v1/namespaces/default/pods/stuck", "restarted after failing liveness") {
            (Self.status($0, "app")["restartCount"]?.intValue ?? 0) >= 1
        }
        // Killed by the kubelet's SIGTERM, not exited of itself.
        #expect(Self.status(restarted, "app")[path: ["lastState", "terminated", "exitCode"]] == 143)
        #expect(Self.status(restarted, "app")[path: ["lastState", "terminated", "reason"]] == "Error")
        let directory = Self.directory(fixture, restarted, "app")
        try await waitUntil(timeout: .seconds(120), "the command ran again") { Self.lines(directory.appendingPathComponent("runs")).count >= 2 }
    }

    @Test func aStartupProbeHoldsOffReadinessAndLivenessUntilItSucceeds() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        let container: JSONValue = [
            "name": "app", "image": "app", "command": ["sleep", "300"],
            "startupProbe": ["exec": ["command": Self.shell("echo x >> startup-probes; test -e started")], "periodSeconds": 1, "failureThreshold": 1000],
            "readinessProbe": ["exec": ["command": Self.shell("echo x >> readiness-probes")], "periodSeconds": 1],
            // Generous timeouts: on a loaded machine a second may not be enough to start `sh`.
            "livenessProbe": ["exec": ["command": Self.shell("echo x >> liveness-probes")], "periodSeconds": 1, "timeoutSeconds": 30],
        ]
        try await fixture.kubectl("apply", "-f", "-", input: Self.pod("slow", [container]))
        let pod = try await Self.created(fixture, "slow")
        let directory = Self.directory(fixture, pod, "app")
        try await waitUntil(timeout: .seconds(120), "the startup probe failed three times") {
            Self.lines(directory.appendingPathComponent("startup-probes")).count >= 3
        }
        let starting = try await fixture.getJSON("pod", "slow")
        #expect(Self.status(starting, "app")["started"] == false)
        #expect(Self.status(starting, "app")["ready"] == false)
        #expect(Self.lines(directory.appendingPathComponent("readiness-probes")).isEmpty)
        #expect(Self.lines(directory.appendingPathComponent("liveness-probes")).isEmpty)

        try touch(directory.appendingPathComponent("started"))
        try await fixture.kubectl("wait", "--for=condition=Ready", "pod/slow", "--timeout=120s")
        try await waitUntil(timeout: .seconds(120), "the liveness probe runs") { !Self.lines(directory.appendingPathComponent("liveness-probes")).isEmpty }
        let ready = try await fixture.getJSON("pod", "slow")
        #expect(Self.status(ready, "app")["started"] == true)
        #expect(Self.status(ready, "app")["restartCount"] == 0)
    }

    @Test func aFailingStartupProbeKillsTheContainer() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        let container: JSONValue = [
            "name": "app", "image": "app", "command": ["sleep", "300"],
            "startupProbe": ["exec": ["command": ["test", "-e", "started"]], "periodSeconds": 1, "failureThreshold": 2],
        ]
        try await fixture.kubectl("apply", "-f", "-", input: Self.pod("never", [container], restartPolicy: "Never"))
        // restartPolicy Never: killed, it stays terminated and the pod fails.
        let failed = try await fixture.waitFor("/api/v1/namespaces/default/pods/never", "pod failed") { $0[path: ["status", "phase"]] == "Failed" }
        #expect(Self.status(failed, "app")[path: ["state", "terminated", "exitCode"]] == 143)
        #expect(Self.status(failed, "app")["restartCount"] == 0)
    }

    @Test func initialDelaySecondsPassBeforeTheFirstProbe() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        let container: JSONValue = [
            "name": "app", "image": "app", "command": Self.shell("date +%s.%N > started-at; exec sleep 300"),
            "readinessProbe": ["exec": ["command": Self.shell("date +%s.%N >> probed-at")], "initialDelaySeconds": 3, "periodSeconds": 1],
        ]
        try await fixture.kubectl("apply", "-f", "-", input: Self.pod("delayed", [container]))
        try await fixture.kubectl("wait", "--for=condition=Ready", "pod/delayed", "--timeout=120s")
        let pod = try await fixture.getJSON("pod", "delayed")
        let directory = Self.directory(fixture, pod, "app")
        let started = try #require(Self.lines(directory.appendingPathComponent("started-at")).first.flatMap(Double.init))
        let probed = try #require(Self.lines(directory.appendingPathComponent("probed-at")).first.flatMap(Double.init))
        // The command's own clock reading comes a little after the kubelet started it.
        #expect(probed - started >= 2.5, "first probe \(probed - started) s after the start")
    }

    @Test func probesOfAContainerWithoutCommandRunExecAndTakeItsNetworkProbesAsAnswered() async throws {
        let fixture = try await ClusterFixture(runPods: true)
        defer { Task { await fixture.stop() } }
        let refusing = try Loopback.refusingPort()
        // An image LocalCluster cannot run stands for a server that is up: its httpGet and tcpSocket
        // probes succeed (the Sluice chart's own Deployment rolls out so), its exec probes run.
        let containers: [JSONValue] = [
            ["name": "server", "image": "nginx", "readinessProbe": ["exec": ["command": ["test", "-e", "ready"]], "periodSeconds": 1]],
            [
                "name": "proxy", "image": "envoy",
                "readinessProbe": ["httpGet": ["path": "/ready", "port": .int(Int64(refusing.port))], "periodSeconds": 1],
                "livenessProbe": ["tcpSocket": ["port": .int(Int64(refusing.port))], "periodSeconds": 1, "failureThreshold": 1],
            ],
        ]
        try await fixture.kubectl("apply", "-f", "-", input: Self.pod("serverless", containers))
        let pod = try await Self.created(fixture, "serverless")
        let proxyReady = try await fixture.waitFor("/api/v1/namespaces/default/pods/serverless", "the proxy ready") {
            Self.status($0, "proxy")["ready"] == true
        }
        #expect(Self.status(proxyReady, "server")["ready"] == false)
        try touch(Self.directory(fixture, pod, "server").appendingPathComponent("ready"))
        let ready = try await fixture.waitFor("/api/v1/namespaces/default/pods/serverless", "the server ready") { Self.status($0, "server")["ready"] == true }
        #expect(Self.status(ready, "proxy")["restartCount"] == 0, "its liveness probe was answered")
        withExtendedLifetime(refusing) {}
    }

    // MARK: one probe, checked directly

    @Test func aProbeHasTheKubeletsDefaults() throws {
        let probe = try #require(Probe(.readiness, of: ["readinessProbe": ["tcpSocket": ["port": 80]]]))
        #expect(probe.action == .tcpSocket(port: .number(80)))
        #expect(probe.initialDelay == .zero && probe.period == .seconds(10) && probe.timeout == .seconds(1))
        #expect(probe.successThreshold == 1 && probe.failureThreshold == 3)
        #expect(Probe(.liveness, of: ["readinessProbe": ["tcpSocket": ["port": 80]]]) == nil)
    }

    /// A container that runs a command (a process LocalCluster runs, whose network probes are real).
    static func target(_ container: JSONValue = .emptyObject, in directory: TemporaryDirectory) -> Probe.Target {
        var container = container
        if container["command"] == nil { container["command"] = ["sleep", "3600"] }
        return Probe.Target(container: container, environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"], workingDirectory: directory.url)
    }

    @Test func checksReportWhatFailedInTheKubeletsWords() async throws {
        let directory = try TemporaryDirectory(label: "probe")
        let refusing = try Loopback.refusingPort()
        let tcp = try #require(Probe(.liveness, of: ["livenessProbe": ["tcpSocket": ["port": .int(Int64(refusing.port))]]]))
        #expect(await tcp.check(Self.target(in: directory)) == .failure("dial tcp 127.0.0.1:\(refusing.port): connect: connection refused"))
        let listening = try Loopback.listeningSocket()
        defer { listening.close() }
        let open = try #require(Probe(.liveness, of: ["livenessProbe": ["tcpSocket": ["port": .int(Int64(listening.port))]]]))
        #expect(await open.check(Self.target(in: directory)) == .success)

        let named = try #require(Probe(.readiness, of: ["readinessProbe": ["httpGet": ["port": "metrics"]]]))
        #expect(await named.check(Self.target(["ports": [["name": "http", "containerPort": 80]]], in: directory)) != .success)

        let exec = try #require(Probe(.readiness, of: ["readinessProbe": ["exec": ["command": ["sh", "-c", "echo not yet; exit 1"]]]]))
        #expect(await exec.check(Self.target(in: directory)) == .failure("not yet\n"))

        let slow = try #require(
            Probe(.readiness, of: ["readinessProbe": ["exec": ["command": ["sh", "-c", "echo $$ > pid; exec sleep 300"]], "timeoutSeconds": 1]]))
        #expect(await slow.check(Self.target(in: directory)) == .failure("command [\"sh\", \"-c\", \"echo $$ > pid; exec sleep 300\"] timed out"))
        // Killed at its timeout, not left running.
        let pid = try #require(Self.lines(directory.appending("pid")).first.flatMap { Int32($0) })
        #expect(kill(pid, 0) != 0)
        withExtendedLifetime(refusing) {}
    }
}
