import Synchronization

/// Per-IP limits on signaling: open connections, and failed token attempts in a sliding window.
/// Failed attempts are counted here and in metrics, never in the ledger. In memory: a restart forgets.
public final class AbuseGuard: Sendable {
    public struct Limits: Sendable {
        /// Open signaling connections per IP.
        public var connectionsPerIP = 32
        /// Failed token or resume attempts per IP within `failureWindow` before further attempts get 429.
        public var failuresPerIP = 10
        /// Milliseconds.
        public var failureWindow: Int64 = 60_000
        /// Messages per second per connection, and the burst allowed.
        public var messagesPerSecond: Double = 50
        public var messageBurst: Double = 200

        public init() {}
    }

    private struct State {
        var connections: [String: Int] = [:]
        var failures: [String: [Int64]] = [:]
    }

    public let limits: Limits
    private let state = Mutex(State())

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Seconds to wait when `ip` may not try a token now, nil when it may.
    public func blockedFor(ip: String, now: Int64) -> Int? {
        state.withLock { state in
            let recent = (state.failures[ip] ?? []).filter { now - $0 < limits.failureWindow }
            state.failures[ip] = recent.isEmpty ? nil : recent
            guard recent.count >= limits.failuresPerIP, let oldest = recent.first else { return nil }
            return Int((oldest + limits.failureWindow - now + 999) / 1000)
        }
    }

    public func recordFailure(ip: String, now: Int64) {
        state.withLock { state in
            var recent = (state.failures[ip] ?? []).filter { now - $0 < limits.failureWindow }
            recent.append(now)
            // Keep the window bounded whatever the attacker does.
            if recent.count > limits.failuresPerIP * 2 { recent.removeFirst(recent.count - limits.failuresPerIP * 2) }
            state.failures[ip] = recent
            if state.failures.count > 100_000 { state.failures.removeAll() }
        }
    }

    /// Counts a new connection from `ip`; false (and nothing counted) when it has too many open.
    public func openConnection(ip: String) -> Bool {
        state.withLock { state in
            let open = state.connections[ip, default: 0]
            guard open < limits.connectionsPerIP else { return false }
            state.connections[ip] = open + 1
            return true
        }
    }

    public func closeConnection(ip: String) {
        state.withLock { state in
            let open = state.connections[ip, default: 0] - 1
            state.connections[ip] = open > 0 ? open : nil
        }
    }

    public func openConnections(ip: String) -> Int { state.withLock { $0.connections[ip, default: 0] } }
}
