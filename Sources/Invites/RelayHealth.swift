import Synchronization

/// Which of the gateway's relays it is subscribed on right now, for `/readyz`, `/metrics` and the panel.
public final class RelayHealth: Sendable {
    private let state: Mutex<[String: Bool]>
    private let metrics: any InviteMetrics

    public init(relays: [String] = [], metrics: any InviteMetrics) {
        state = Mutex([:])
        self.metrics = metrics
        track(relays)
    }

    /// The relays to report on from now: new ones start as connecting, removed ones are forgotten.
    public func track(_ relays: [String]) {
        let counts = state.withLock { state -> (Int, Int) in
            state = Dictionary(relays.map { ($0, state[$0] ?? false) }, uniquingKeysWith: { first, _ in first })
            return (state.count, state.values.filter { $0 }.count)
        }
        metrics.relays(configured: counts.0, connected: counts.1)
    }

    public func set(_ relay: String, subscribed: Bool) {
        let counts = state.withLock { state -> (Int, Int)? in
            // A relay removed meanwhile stays forgotten.
            guard state[relay] != nil else { return nil }
            state[relay] = subscribed
            return (state.count, state.values.filter { $0 }.count)
        }
        if let counts { metrics.relays(configured: counts.0, connected: counts.1) }
    }

    /// Relay URL → `subscribed` or `connecting`.
    public var snapshot: [String: String] {
        state.withLock { $0.mapValues { $0 ? "subscribed" : "connecting" } }
    }

    /// How many relays are followed, and how many of them are subscribed now.
    public var counts: (configured: Int, subscribed: Int) {
        state.withLock { ($0.count, $0.values.filter { $0 }.count) }
    }
}
