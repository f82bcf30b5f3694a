import CallStore
import Foundation
import Hummingbird
import Ledger
import Projections

/// `/healthz` (the process answers), `/readyz` (the ledger answers), `/metrics` (Prometheus text).
struct HealthController: Sendable {
    let store: CallStore
    let metrics: GatewayMetrics
    /// The configured Nostr relays' state. Reported, never a reason to be unready: calls work without
    /// relays, and a relay down is its operator's problem, not the gateway's.
    let relays: RelayHealth

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: .init(string: "ok\n")))
        }
        router.get("readyz") { _, _ -> Response in
            do {
                let position = try await store.read { db in try EventReader.headPosition(in: db) }
                let relays = self.relays.snapshot
                let body = try JSONBody.encode(Ready(ledgerPosition: position, relays: relays.isEmpty ? nil : relays))
                return Self.json(.ok, String(decoding: body, as: UTF8.self))
            } catch {
                return Self.json(
                    .serviceUnavailable,
                    "{\"error\":{\"code\":\"not_ready\",\"message\":\"the ledger does not answer\"}}"
                )
            }
        }
        router.get("metrics") { _, _ -> Response in
            let text = try await metrics.render()
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: .init(string: text))
            )
        }
    }

    /// The answer of `/readyz`.
    struct Ready: Encodable {
        var status = "ready"
        var ledgerPosition: Int64
        /// Configured Nostr relays: `subscribed` or `connecting`. Absent without relays.
        var relays: [String: String]?
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: .init(string: body))
        )
    }
}
