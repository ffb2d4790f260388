import Foundation
import KubeModel

#if canImport(Glibc)
import Glibc
#endif

/// The kubelet's probe workers, one task per probe of each run of a container, as in the
/// kubelet's `prober` package:
///
/// - Each probes first `initialDelaySeconds` after the container started, then every
///   `periodSeconds`, each check limited to `timeoutSeconds`.
/// - A startup probe gates the other two: until it succeeds the container has not `started`, is
///   not ready, and is not checked for liveness; failing `failureThreshold` times in a row, it
///   kills the container.
/// - Readiness starts false; `successThreshold` successes in a row make the container ready,
///   `failureThreshold` failures in a row make it unready again.
/// - Liveness failing `failureThreshold` times in a row kills the container, which is then
///   restarted (or not) as `restartPolicy` says, like one that exited.
///
/// The tasks end with their run of the container: when it exits, is killed, or the pod stops.
extension PodRun {
    func startProbes(_ index: Int, run: Int, target: Probe.Target, kubelet: Kubelet) {
        let probes = [Probe.Kind.startup, .readiness, .liveness].compactMap { Probe($0, of: target.container) }
        guard !probes.isEmpty else { return }
        state.withLock { state in
            // Init containers have no probes: the API server refuses them there.
            guard !state.stopped, !state.containers[index].isInit, state.isRunning(index, run: run) else { return }
            state.containers[index].probeTasks = probes.map { probe in
                Task { [weak self, weak kubelet] in
                    guard let self, let kubelet else { return }
                    await self.work(probe, index: index, run: run, target: target, kubelet: kubelet)
                }
            }
        }
    }

    private func work(_ probe: Probe, index: Int, run: Int, target: Probe.Target, kubelet: Kubelet) async {
        let clock = ContinuousClock()
        var next = clock.now + probe.initialDelay
        var successes = 0
        var failures = 0
        while true {
            do { try await clock.sleep(until: next) } catch { return }
            next = max(next + probe.period, clock.now)
            guard let started = state.withLock({ $0.isRunning(index, run: run) ? $0.containers[index].started : nil }) else { return }
            if probe.kind == .startup && started { return }
            // Readiness and liveness wait for the startup probe.
            if probe.kind != .startup && !started { continue }
            let result = await probe.check(target)
            if Task.isCancelled { return }
            if result.succeeded {
                successes += 1
                failures = 0
            } else {
                failures += 1
                successes = 0
            }
            guard record(of: probe, successes: successes, failures: failures, index: index, run: run, kubelet: kubelet) else { return }
        }
    }

    /// Applies the probe's run of results; returns whether the probe goes on.
    private func record(of probe: Probe, successes: Int, failures: Int, index: Int, run: Int, kubelet: Kubelet) -> Bool {
        enum Outcome { case unchanged, changed, started, stale, kill }
        let outcome = state.withLock { state -> Outcome in
            guard !state.stopped, state.isRunning(index, run: run) else { return .stale }
            switch probe.kind {
            case .startup:
                if successes >= probe.successThreshold {
                    state.containers[index].started = true
                    return .started
                }
                return failures >= probe.failureThreshold ? .kill : .unchanged
            case .readiness:
                let ready = state.containers[index].probedReady
                if (!ready && successes >= probe.successThreshold) || (ready && failures >= probe.failureThreshold) {
                    state.containers[index].probedReady = !ready
                    return .changed
                }
                return .unchanged
            case .liveness:
                return failures >= probe.failureThreshold ? .kill : .unchanged
            }
        }
        switch outcome {
        case .unchanged: return true
        case .changed:
            kubelet.notify(key)
            return true
        case .started:
            kubelet.notify(key)
            return false
        case .stale:
            return false
        case .kill:
            kill(index, run: run, kubelet: kubelet)
            return false
        }
    }

    /// Kills a container that failed its liveness or startup probe: its process gets SIGTERM
    /// (SIGKILL a second later), and its exit restarts it as `restartPolicy` says. A container
    /// without a command is a server that stops on SIGTERM (exit code 143).
    private func kill(_ index: Int, run: Int, kubelet: Kubelet) {
        let running = state.withLock { state -> (process: PodProcess?, startedAt: String)? in
            guard !state.stopped, state.isRunning(index, run: run), case .running(let startedAt) = state.containers[index].phase else { return nil }
            return (state.containers[index].process, startedAt)
        }
        guard let running else { return }
        if let process = running.process {
            process.terminate(grace: .seconds(1))
        } else {
            finished(index, run: run, exitCode: 128 + SIGTERM, startedAt: running.startedAt, kubelet: kubelet)
        }
    }
}
