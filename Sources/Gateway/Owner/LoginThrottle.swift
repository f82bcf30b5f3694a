import CrowSecurity
import OwnerStore
import Synchronization

/// Failed owner logins, in memory: at most `limit` per client (an IPv4 address or an IPv6 /64) in any
/// `window`, and at most `globalLimit` from everyone together, then refused with the seconds until the
/// oldest one leaves the window (see `FailureWindow`).
///
/// An attempt counts as a failure from the moment it starts (so a burst of concurrent guesses cannot all
/// slip past the check while their passwords are being hashed); a successful login forgets the client's
/// failures. Memory is bounded: past `maxClients` clients, expired entries are pruned, then the least
/// recently seen clients are forgotten.
final class LoginThrottle: Sendable {
    enum Decision: Equatable, Sendable {
        case allowed
        case refused(retryAfter: Int)
    }

    let limit: Int
    /// Milliseconds.
    let window: Int64
    let maxClients: Int
    private let clock: @Sendable () -> Int64
    private let attempts: Mutex<FailureWindow>

    /// - Parameters:
    ///   - globalLimit: failed logins from all clients together within `window`.
    ///   - clock: Unix milliseconds; injectable for tests.
    init(limit: Int, window: Int64, globalLimit: Int = 100, maxClients: Int = 10_000, clock: @escaping @Sendable () -> Int64) {
        self.limit = max(1, limit)
        self.window = max(1, window)
        self.maxClients = max(1, maxClients)
        self.clock = clock
        self.attempts = Mutex(FailureWindow(perClient: limit, global: globalLimit, window: window, maxClients: maxClients))
    }

    /// Records the start of an attempt from `client`, or refuses it when the client (or everyone) is over
    /// the limit.
    func begin(_ client: String) -> Decision {
        let now = clock()
        return attempts.withLock { attempts in
            if let wait = attempts.retryAfter(client, now: now) { return .refused(retryAfter: wait) }
            attempts.record(client, now: now)
            return .allowed
        }
    }

    /// The attempt succeeded: the client's failures are forgotten.
    func succeeded(_ client: String) {
        attempts.withLock { $0.forget(client) }
    }

    /// Failures currently counted for `client` (for tests and diagnostics).
    func failures(_ client: String) -> Int {
        let now = clock()
        return attempts.withLock { $0.failures(client, now: now) }
    }

    /// Clients currently held in memory.
    var trackedClients: Int { attempts.withLock { $0.clientCount } }
}
