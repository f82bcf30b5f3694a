import CallStore
import Foundation
import Hummingbird
import Ledger
import Projections

/// `/healthz` (the process answers), `/readyz` (the ledger answers), `/metrics` (Prometheus text).
struct HealthController: Sendable {
    let store: CallStore
    let metrics: GatewayMetrics

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: .init(string: "ok\n")))
        }
        router.get("readyz") { _, _ -> Response in
            do {
                let position = try await store.read { db in try EventReader.headPosition(in: db) }
                return Self.json(.ok, "{\"status\":\"ready\",\"ledgerPosition\":\(position)}")
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

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: .init(string: body))
        )
    }
}
