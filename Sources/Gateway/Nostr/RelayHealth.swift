import Synchronization

/// Which configured relays the gateway is subscribed on right now, for `/readyz` and `/metrics`.
final class RelayHealth: Sendable {
    private let state: Mutex<[String: Bool]>
    private let metrics: GatewayMetrics

    init(relays: [String], metrics: GatewayMetrics) {
        state = Mutex(Dictionary(relays.map { ($0, false) }, uniquingKeysWith: { first, _ in first }))
        self.metrics = metrics
        metrics.relays(configured: relays.count, connected: 0)
    }

    func set(_ relay: String, subscribed: Bool) {
        let (configured, connected) = state.withLock { state -> (Int, Int) in
            state[relay] = subscribed
            return (state.count, state.values.filter { $0 }.count)
        }
        metrics.relays(configured: configured, connected: connected)
    }

    /// Relay URL → `subscribed` or `connecting`.
    var snapshot: [String: String] {
        state.withLock { $0.mapValues { $0 ? "subscribed" : "connecting" } }
    }
}
