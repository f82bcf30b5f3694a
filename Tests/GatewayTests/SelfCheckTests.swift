import CallStore
@testable import CrowSecurity
import Decisions
import Foundation
@testable import Gateway
import HTTPTypes
import HummingbirdTesting
import Ledger
import NIOCore
@testable import Signaling
import TestSupport
import Testing

/// The self-test page `/calls/check` on the real application: the page with the strict policy, the
/// self-test socket (`/calls/ws?check=1`: one answer, a clean close, nothing in the ledger, throttled per
/// client), and the owner's routes (the ICE servers with issued TURN credentials, the last invites).
/// `.live` (through `withLiveRoom`) for the self-test socket, a WebSocket; the page and the owner routes go through the router.
@Suite struct SelfCheckTests {
    typealias H = OwnerHarness

    @Test func thePageIsStaticWithTheStrictPolicyAndNoInlineScriptOrStyle() async throws {
        let harness = try H()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            // For anyone: a guest is sent here by an error on the call page.
            try await client.execute(uri: "/calls/check", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.cacheControl] == "no-store")
                let policy = try #require(response.headers[.contentSecurityPolicy])
                #expect(policy == WebClientController.pagePolicy)
                #expect(policy.contains("script-src 'self';") && policy.contains("style-src 'self';"))
                #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
                #expect(response.headers[HTTPField.Name("Permissions-Policy")!]?.contains("microphone=(self)") == true)
                #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                let html = String(buffer: response.body)
                #expect(html.contains(#"<script type="module" src="/calls/assets/check.js"></script>"#))
                #expect(html.contains(#"<script src="/calls/assets/safe-url.js"></script>"#))
                // Every <script> has a src, and no element carries a style or an event handler attribute.
                let scripts = html.components(separatedBy: "<script").count - 1
                let withSource = html.components(separatedBy: "<script src=").count - 1 + html.components(separatedBy: #"<script type="module" src="#).count - 1
                #expect(scripts == 3 && scripts == withSource)
                #expect(!html.contains(" style=") && !html.contains("<style"))
                #expect(html.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil)
            }
            try await client.execute(uri: "/calls/assets/check.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                let script = String(buffer: response.body)
                #expect(script.contains("/calls/ws?check=1"))
                #expect(!script.contains("innerHTML"))
            }
            // The page itself only through its route.
            try await client.execute(uri: "/calls/assets/check.html", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func theCheckSocketAnswersOnceClosesWith1000AndRecordsNothing() async throws {
        try await withLiveRoom { live in
            let before = try await live.side.read { db in try EventReader.headPosition(in: db) }
            let socket = try RawSocket(port: live.port)
            defer { socket.close() }
            let head = try await socket.upgrade(path: "/calls/ws?check=1")
            #expect(head.hasPrefix("HTTP/1.1 101"), "\(head)")
            // The answer, then the close frame; the server ends the connection after its close timeout at
            // the latest (this client never answers the close).
            let frames = try WebSocketFrames.parse(await socket.readToEnd(within: .seconds(60)))
            #expect(frames.count == 2, "\(frames)")
            #expect(frames.first?.text == #"{"ok":true,"type":"check"}"#)
            #expect(frames.last?.closeCode == 1000)
            let after = try await live.side.read { db in try EventReader.headPosition(in: db) }
            #expect(after == before)
            // `check` is a shape of its own: mixed with a room or a token, or with another value, it is refused.
            let mixed = try await upgradeAttempt(port: live.port, query: "check=1&" + query(live.room.code, token: live.room.hostToken.secret))
            #expect(mixed.status == 400 && mixed.code == "invalid_request")
            let other = try await upgradeAttempt(port: live.port, query: "check=yes")
            #expect(other.status == 400 && other.code == "invalid_request")
            // The host's token was not spent.
            let status = try await live.side.read { db in
                try String.fetchOne(db, sql: "SELECT state FROM tokens WHERE token_id = ?", arguments: [live.room.hostToken.id])
            }
            #expect(status == "issued")
        }
    }

    @Test func theCheckSocketIsThrottledPerClientAndJoinsAreNot() async throws {
        try await withLiveRoom { live in
            // Without an upgrade, the route says to use a WebSocket while the client may still check.
            try await live.client.execute(uri: "/calls/ws?check=1", method: .get) { response in
                #expect(response.status == .upgradeRequired)
            }
            let allowed = AbuseGuard.Limits().checksPerIP
            for attempt in 0..<allowed {
                let socket = try RawSocket(port: live.port)
                let head = try await socket.upgrade(path: "/calls/ws?check=1")
                socket.close()
                #expect(head.hasPrefix("HTTP/1.1 101"), "check \(attempt): \(head)")
            }
            let refused = try await upgradeAttempt(port: live.port, query: "check=1")
            #expect(refused.status == 429 && refused.code == "rate_limited")
            let wait = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...60).contains(wait))
            // The page learns why with a plain request, since a browser hides a refused upgrade's answer.
            try await live.client.execute(uri: "/calls/ws?check=1", method: .get) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] != nil)
                #expect(String(buffer: response.body).contains("rate_limited"))
            }
            // The self-test limit is its own: the same client still joins its call.
            let ada = live.host(name: "Ada")
            try await withPeers([ada]) { welcomes in
                #expect(welcomes.count == 1)
            }
        }
    }

    @Test func theIceRouteIsForTheOwnerAndIssuesTurnCredentials() async throws {
        let harness = try H {
            $0.stunURLs = ["stun:stun.example.net:3478"]
            $0.turnURLs = ["turn:turn.example.net:3478?transport=udp"]
            $0.turnSecret = "coturn-shared-secret"
        }
        let token = try await harness.apiToken()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/calls/check/ice", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                #expect(!String(buffer: response.body).contains("turn:"))
            }
            try await client.execute(uri: "/api/calls/check/ice", method: .get, headers: [.cookie: "crow_session=not-a-session"]) {
                #expect($0.status == .unauthorized)
            }
            let started = Int64(Date().timeIntervalSince1970)
            let body = try await client.execute(uri: "/api/calls/check/ice", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-store")
                return H.object(response)
            }
            #expect(body["stun"] as? Bool == true && body["turn"] as? Bool == true)
            let servers = try #require(body["iceServers"] as? [[String: Any]])
            #expect(servers.count == 2)
            #expect(servers.first?["urls"] as? [String] == ["stun:stun.example.net:3478"] && servers.first?["credential"] == nil)
            let turn = try #require(servers.last)
            #expect(turn["urls"] as? [String] == ["turn:turn.example.net:3478?transport=udp"])
            // coturn's REST credentials: `<expiry>:<name>` signed with the shared secret, for ten minutes.
            let username = try #require(turn["username"] as? String)
            let parts = username.split(separator: ":")
            let expiry = try #require(parts.first.flatMap { Int64($0) })
            #expect(parts.count == 2 && parts[1].hasPrefix("check-"))
            #expect(expiry >= started + SelfCheckController.credentialLifetime - 1 && expiry <= started + SelfCheckController.credentialLifetime + 60)
            #expect(body["expiresAt"] as? Int64 == expiry * 1000)
            let expected = IceServerProvider(turnURLs: ["turn:x"], turnSecret: "coturn-shared-secret", ttl: SelfCheckController.credentialLifetime)
                .servers(for: String(parts[1]), now: (expiry - SelfCheckController.credentialLifetime) * 1000)
            #expect(turn["credential"] as? String == expected.first?.credential)
            #expect(expected.first?.username == username)
            // The public settings say which kinds exist, never the URLs or the credentials.
            try await client.execute(uri: "/calls/client.json", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(!text.contains("turn.example.net") && !text.contains(username))
            }
        }
    }

    @Test func theIceRouteWithoutTurnHandsOutNoCredentialsAndTheInvitesAreTheOwners() async throws {
        let harness = try H { $0.gatewayURL = "http://localhost" }
        let token = try await harness.apiToken()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            try await client.execute(uri: "/api/calls/check/ice", method: .get, headers: auth) { response in
                let body = H.object(response)
                #expect((body["iceServers"] as? [Any])?.isEmpty == true)
                #expect(body["stun"] as? Bool == false && body["turn"] as? Bool == false)
                #expect(body["expiresAt"] == nil)
            }
            try await client.execute(uri: "/api/calls/check/invites", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/calls/check/invites", method: .get, headers: auth) { response in
                let body = H.object(response)
                #expect((body["sent"] as? [Any])?.isEmpty == true && (body["received"] as? [Any])?.isEmpty == true)
            }
            // One invite sent (to a contact, through the rooms API) and two received, one of them declined.
            let contact = try await client.execute(
                uri: "/api/contacts", method: .post, headers: auth,
                body: try H.jsonBody(["name": "Grace", "pubkey": "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6"])
            ) { H.object($0) }
            let contactId = try #require(contact["id"] as? String)
            let pubkey = try #require(contact["pubkey"] as? String)
            try await client.execute(uri: "/api/rooms", method: .post, headers: auth, body: try H.jsonBody(["contact": contactId])) {
                #expect($0.status == .created)
            }
            let side = try sideStore(harness.configuration)
            defer { try? side.close() }
            let now = LedgerClock.systemMilliseconds()
            var received: [String] = []
            for (offset, caller) in ["Barbara", "Linus"].enumerated() {
                let id = Secrets.identifier()
                try await side.receiveInvite(
                    InviteReceived(
                        inviteId: id, nostrEventId: String(repeating: id, count: 4), senderPubkey: String(repeating: "ab", count: 32),
                        senderName: caller, room: "their-room-\(offset)", joinUrl: "https://caller.example/calls?room=r&token=t",
                        sentAt: now - 200, receivedAt: now + Int64(offset)
                    )
                )
                received.append(id)
            }
            try await side.declineIncoming(received[0])
            let body = try await client.execute(uri: "/api/calls/check/invites", method: .get, headers: auth) { H.object($0) }
            let sent = try #require(body["sent"] as? [[String: Any]])
            #expect(sent.count == 1)
            #expect(sent.first?["contactName"] as? String == "Grace" && sent.first?["contactPubkey"] as? String == pubkey)
            #expect(["pending", "failed", "sent"].contains(sent.first?["status"] as? String ?? ""))
            let incoming = try #require(body["received"] as? [[String: Any]])
            // Newest first, and a declined call is listed too (the panel's incoming list leaves it out).
            #expect(incoming.map { $0["senderName"] as? String } == ["Linus", "Barbara"])
            #expect(incoming.map { $0["status"] as? String } == ["ringing", "declined"])
        }
    }
}
