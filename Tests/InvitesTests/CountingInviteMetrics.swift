import Invites
import Synchronization

/// Counts what the invite path reports, so tests can assert on it without a Prometheus registry.
final class CountingInviteMetrics: InviteMetrics {
    struct Counts: Sendable {
        /// Events whose signature and decryption work the inbox began.
        var work = 0
        /// Accepted events by what they carried.
        var accepted: [String: Int] = [:]
        /// Dropped events by why.
        var dropped: [String: Int] = [:]
        var relays: (configured: Int, connected: Int) = (0, 0)
    }

    let counts = Mutex(Counts())

    func nostrWork() { counts.withLock { $0.work += 1 } }

    func nostrEvent(accepted: Bool, label: String) {
        counts.withLock {
            if accepted { $0.accepted[label, default: 0] += 1 } else { $0.dropped[label, default: 0] += 1 }
        }
    }

    func relays(configured: Int, connected: Int) { counts.withLock { $0.relays = (configured, connected) } }
}
