import CallStore
import Ledger
import Projections
import Prometheus

/// The gateway's Prometheus registry. Ledger and occupancy figures are read when scraped, so they are
/// always current and cost nothing between scrapes.
final class GatewayMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let store: CallStore
    private let events: Gauge
    private let transactions: Gauge
    private let appends: Gauge
    private let refused: Gauge
    private let rooms: Gauge
    private let peers: Gauge

    init(store: CallStore) {
        self.store = store
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func gauge(_ subsystem: String, _ name: String, _ unit: String, _ help: String) -> Gauge {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "crow", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
            )
        }
        events = gauge("ledger", "head", "position", "Position of the last event in the ledger")
        transactions = gauge("ledger", "transactions", "", "Append transactions committed since start (group commit)")
        appends = gauge("ledger", "appends", "", "Appends acknowledged since start")
        refused = gauge("ledger", "appends", "refused", "Appends refused since start (conflicts)")
        rooms = gauge("rooms", "live", "", "Rooms currently open")
        peers = gauge("peers", "present", "", "Participants currently in rooms")
    }

    func render() async throws -> String {
        let (head, live, present) = try await store.read { db in
            (
                try EventReader.headPosition(in: db),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rooms WHERE state = 'live'") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM room_peers") ?? 0
            )
        }
        let statistics = store.ledger.statistics
        events.set(Double(head))
        transactions.set(Double(statistics.transactions))
        appends.set(Double(statistics.appends))
        refused.set(Double(statistics.refused))
        rooms.set(Double(live))
        peers.set(Double(present))
        return registry.emitToString()
    }
}
