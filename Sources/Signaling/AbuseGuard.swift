import CrowSecurity
import Synchronization

/// Per-client limits on signaling: open connections per IP, failed token attempts in a sliding window
/// per client (an IPv4 address or an IPv6 /64) and in total (see `FailureWindow`), and self-test sockets
/// (`/calls/ws?check=1`, see `SignalingCheck`) in a window of their own. Failed attempts are counted here
/// and in metrics, never in the ledger. In memory: a restart forgets.
public final class AbuseGuard: Sendable {
    public struct Limits: Sendable {
        /// Open signaling connections per IP.
        public var connectionsPerIP = 32
        /// Failed token or resume attempts per IP within `failureWindow` before further attempts get 429.
        public var failuresPerIP = 10
        /// Failed token or resume attempts from all clients together within `failureWindow` before
        /// everyone gets 429 (a ceiling for attackers who rotate addresses).
        public var failuresGlobal = 600
        /// Milliseconds.
        public var failureWindow: Int64 = 60_000
        /// Clients whose failures are remembered at once; the least recently seen go first.
        public var maxClients = 10_000
        /// Self-test sockets (`/calls/ws?check=1`) per client within `checkWindow`, and from everyone
        /// together. A page load of `/calls/check` opens one; a reload opens another.
        public var checksPerIP = 10
        public var checksGlobal = 600
        /// Milliseconds.
        public var checkWindow: Int64 = 60_000
        /// Messages per second per connection, and the burst allowed.
        public var messagesPerSecond: Double = 50
        public var messageBurst: Double = 200
        /// Messages over the rate a connection may send before it is closed with 1008...
        public var strikes = 50
        /// ...where strikes drain at this many per second, so old bursts are forgiven.
        public var strikeDecayPerSecond: Double = 1

        public init() {}
    }

    private struct State {
        var connections: [String: Int] = [:]
        var failures: FailureWindow
        var checks: FailureWindow
    }

    public let limits: Limits
    private let state: Mutex<State>

    public init(limits: Limits = Limits()) {
        self.limits = limits
        self.state = Mutex(
            State(
                failures: FailureWindow(
                    perClient: limits.failuresPerIP,
                    global: limits.failuresGlobal,
                    window: limits.failureWindow,
                    maxClients: limits.maxClients
                ),
                checks: FailureWindow(
                    perClient: limits.checksPerIP,
                    global: limits.checksGlobal,
                    window: limits.checkWindow,
                    maxClients: limits.maxClients
                )
            )
        )
    }

    /// Seconds to wait when `ip` may not try a token now, nil when it may.
    public func blockedFor(ip: String, now: Int64) -> Int? {
        state.withLock { $0.failures.retryAfter(ip, now: now) }
    }

    /// The refusals that count as a failed join: a wrong, used, expired or revoked token or secret.
    /// A full room or an ended call is not an attempt to guess anything.
    public static func isFailedJoin(_ code: String) -> Bool {
        ["token_invalid", "token_used", "token_expired", "token_revoked"].contains(code)
    }

    public func recordFailure(ip: String, now: Int64) {
        state.withLock { $0.failures.record(ip, now: now) }
    }

    /// Counts a self-test socket from `ip` and returns nil, or refuses it with the seconds to wait (and
    /// counts nothing) when the client, or everyone, opened too many within the window.
    public func beginCheck(ip: String, now: Int64) -> Int? {
        state.withLock { state in
            if let wait = state.checks.retryAfter(ip, now: now) { return wait }
            state.checks.record(ip, now: now)
            return nil
        }
    }

    /// Seconds until `ip` may open a self-test socket again, nil when it may now. Counts nothing.
    public func checkBlockedFor(ip: String, now: Int64) -> Int? {
        state.withLock { $0.checks.retryAfter(ip, now: now) }
    }

    /// Clients whose failures are held in memory.
    public var trackedClients: Int { state.withLock { $0.failures.clientCount } }

    /// Counts a new connection from `ip`; false (and nothing counted) when it has too many open. Counted
    /// per client as the failure limits are: an IPv6 /64 is one client, so a host that owns a /64 (as
    /// most do) cannot open sockets without bound by changing its address.
    public func openConnection(ip: String) -> Bool {
        let client = ClientAddress.bucket(ip)
        return state.withLock { state in
            let open = state.connections[client, default: 0]
            guard open < limits.connectionsPerIP else { return false }
            state.connections[client] = open + 1
            return true
        }
    }

    public func closeConnection(ip: String) {
        let client = ClientAddress.bucket(ip)
        state.withLock { state in
            let open = state.connections[client, default: 0] - 1
            state.connections[client] = open > 0 ? open : nil
        }
    }

    public func openConnections(ip: String) -> Int { state.withLock { $0.connections[ClientAddress.bucket(ip), default: 0] } }
}
