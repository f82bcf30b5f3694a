import Signaling
import Synchronization

/// Counts what the hub reports, so tests can assert on it without a Prometheus registry.
final class CountingSignalingMetrics: SignalingMetrics {
    struct Counts: Sendable {
        var opened = 0
        var closed = 0
        var relayed = 0
        var slow = 0
        var appends = 0
    }

    let counts = Mutex(Counts())

    func connectionOpened() { counts.withLock { $0.opened += 1 } }
    func connectionClosed() { counts.withLock { $0.closed += 1 } }
    func relayedMessage() { counts.withLock { $0.relayed += 1 } }
    func slowSocketClosed() { counts.withLock { $0.slow += 1 } }
    func observeAppend(since start: ContinuousClock.Instant) { counts.withLock { $0.appends += 1 } }
}
