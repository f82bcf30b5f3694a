import CallStore
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Ledger
import Testing

/// `CROW_CALLS_ENABLED=0` takes the calls routes away; what the owner needs otherwise stays.
/// `.live` in the first test only: it tries a WebSocket upgrade on a real socket; the second goes through the router.
@Suite struct CallsSwitchTests {
    @Test func switchedOffTheCallsRoutesAreNotMounted() async throws {
        let harness = try OwnerHarness { $0.enabled = false }
        let token = try await harness.apiToken()
        let app = try await buildApplication(harness.configuration)
        try await app.liveTest { client in
            let bearer: HTTPFields = [.authorization: "Bearer \(token)"]
            // The calls API and signaling are gone, even for the owner.
            for (method, uri) in [
                (HTTPRequest.Method.get, "/api/rooms"), (.post, "/api/rooms"), (.get, "/api/rooms/abcdefghjkmn"),
                (.post, "/api/rooms/abcdefghjkmn/close"), (.get, "/api/calls/history"), (.get, "/api/calls/incoming"),
                (.get, "/api/notifications/poll"), (.get, "/api/calls/stream"), (.get, "/calls/ws"),
                (.get, "/calls"), (.get, "/calls?room=abcdefghjkmn&token=x"), (.get, "/calls/toast.js"),
                (.get, "/calls/assets/call.js"), (.get, "/calls/client.json"), (.get, "/calls/link?room=abcdefghjkmn&token=x"),
            ] {
                try await client.execute(uri: uri, method: method, headers: bearer, body: ByteBuffer(string: "{}")) { response in
                    #expect(response.status == .notFound, "\(method) \(uri)")
                }
            }
            let port = try #require(client.port)
            let upgrade = try await upgradeAttempt(port: port, query: "room=abcdefghjkmn&token=x")
            #expect(upgrade.status == 404, "\(upgrade)")
            // Health, metrics, the owner's pages and contacts stay.
            for uri in ["/healthz", "/readyz", "/metrics", "/login"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri)")
                }
            }
            try await client.execute(uri: "/api/contacts", method: .get, headers: bearer) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func switchedOnTheSameRoutesAnswer() async throws {
        let harness = try OwnerHarness()
        let token = try await harness.apiToken()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/rooms", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
