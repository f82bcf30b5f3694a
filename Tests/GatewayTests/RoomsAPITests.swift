import CallStore
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Ledger
import NIOCore
import Testing
import TestSupport

/// The owner's rooms API through the application's router, with a Bearer token.
/// `.live` in the first test only: a guest joins over a real WebSocket; the others go through the router.
@Suite struct RoomsAPITests {
    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] ?? [:]
    }

    static func body(_ object: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }

    @Test func createInspectLinkAndCloseARoom() async throws {
        let dir = try TemporaryDirectory()
        var configuration = signalingConfiguration(dir)
        configuration.turnURLs = ["turn:turn.example.net:3478"]
        configuration.turnSecret = "coturn-secret"
        let token = try await ownerAPIToken(configuration)
        let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        let hostile = #"<img src=x onerror="alert(1)">"#
        let app = try await buildApplication(configuration)
        try await app.liveTest { client in
            let created = try await client.execute(uri: "/api/rooms", method: .post, headers: auth, body: try Self.body(["hostName": hostile, "maxPeers": 3]))
            #expect(created.status == .created)
            #expect(created.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            let room = try Self.json(created.body)
            let code = try #require(room["roomCode"] as? String)
            let hostToken = try #require(room["hostToken"] as? String)
            #expect(code.count == 12)
            #expect(hostToken.count == 43)
            #expect((room["callUrl"] as? String)?.contains("/calls?room=\(code)&token=") == true)

            let shown = try Self.json(try await client.execute(uri: "/api/rooms/\(code)", method: .get, headers: auth).body)
            let details = try #require(shown["room"] as? [String: Any])
            // The hostile name comes back as the same inert JSON string.
            #expect(details["hostName"] as? String == hostile)
            #expect(details["maxPeers"] as? Int == 3)
            #expect(details["createdBy"] as? String == "api")
            let tokens = try #require(shown["tokens"] as? [[String: Any]])
            #expect(tokens.count == 1)
            #expect(tokens.allSatisfy { $0["secret"] == nil && $0["hash"] == nil && $0["tokenHash"] == nil })
            #expect(!String(buffer: try await client.execute(uri: "/api/rooms/\(code)", method: .get, headers: auth).body).contains(hostToken))

            let link = try Self.json(try await client.execute(uri: "/api/rooms/\(code)/invites", method: .post, headers: auth, body: try Self.body(["label": "Bob"])).body)
            let guestToken = try #require(link["token"] as? String)

            // The guest's welcome carries time-limited TURN credentials.
            let port = try #require(client.port)
            let bob = TestPeer(port: port, query: query(code, token: guestToken))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await bob.run() }
                let welcome = try await bob.next("welcome")
                let ice = try #require((welcome["iceServers"] as? [[String: Any]])?.first)
                #expect(ice["urls"] as? [String] == ["turn:turn.example.net:3478"])
                let username = try #require(ice["username"] as? String)
                #expect(username.hasSuffix(":\(welcome["peerId"] as? String ?? "")"))
                #expect((ice["credential"] as? String)?.count == 28)  // base64 of a 20-byte HMAC-SHA1

                let closed = try await client.execute(uri: "/api/rooms/\(code)/close", method: .post, headers: auth)
                #expect(closed.status == .ok)
                #expect(try Self.json(closed.body)["kicked"] as? Int == 1)
                _ = try await bob.next("room-closed")
                try? await group.waitForAll()
            }
            let again = try await client.execute(uri: "/api/rooms/\(code)/close", method: .post, headers: auth)
            #expect(again.status == .gone)
            #expect(try Self.json(again.body)["error"].flatMap { $0 as? [String: Any] }?["code"] as? String == "room_ended")

            let history = try Self.json(try await client.execute(uri: "/api/calls/history?limit=5", method: .get, headers: auth).body)
            #expect((history["calls"] as? [[String: Any]])?.first?["roomCode"] as? String == code)
        }
    }

    @Test func theOwnerGetsAFreshHostLinkForALiveRoomAndNoneForAnEndedOne() async throws {
        let dir = try TemporaryDirectory()
        let configuration = signalingConfiguration(dir)
        let token = try await ownerAPIToken(configuration)
        let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        let app = try await buildApplication(configuration)
        try await app.test(.router) { client in
            let room = try Self.json(try await client.execute(uri: "/api/rooms", method: .post, headers: auth, body: try Self.body(["hostName": "Ada"])).body)
            let code = try #require(room["roomCode"] as? String)
            let first = try #require(room["hostToken"] as? String)
            let fresh = try await client.execute(uri: "/api/rooms/\(code)/host-link", method: .post, headers: auth)
            #expect(fresh.status == .created)
            let link = try Self.json(fresh.body)
            let second = try #require(link["token"] as? String)
            #expect(second != first)
            #expect((link["callUrl"] as? String) == "http://localhost/calls?room=\(code)&token=\(second)")
            // It is a host's link: the preview says so.
            let preview = try Self.json(try await client.execute(uri: "/calls/link?room=\(code)&token=\(second)", method: .get).body)
            #expect(preview["role"] as? String == "host")
            // Not for anyone without the owner's credentials, and not once the room has ended.
            #expect(try await client.execute(uri: "/api/rooms/\(code)/host-link", method: .post).status == .unauthorized)
            _ = try await client.execute(uri: "/api/rooms/\(code)/close", method: .post, headers: auth)
            let ended = try await client.execute(uri: "/api/rooms/\(code)/host-link", method: .post, headers: auth)
            #expect(ended.status == .gone)
            #expect(try Self.json(ended.body)["error"].flatMap { $0 as? [String: Any] }?["code"] as? String == "room_ended")
        }
    }

    @Test func badRequestsGetTypedErrors() async throws {
        let dir = try TemporaryDirectory()
        let configuration = signalingConfiguration(dir)
        let token = try await ownerAPIToken(configuration)
        let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        let app = try await buildApplication(configuration)
        try await app.test(.router) { client in
            let cases: [(String, HTTPRequest.Method, ByteBuffer?, HTTPFields, Int, String)] = [
                ("/api/rooms", .post, nil, [:], 401, "unauthorized"),
                ("/api/rooms", .post, nil, [.authorization: "Bearer wrong"], 401, "unauthorized"),
                ("/api/rooms", .post, ByteBuffer(string: "{nope"), auth, 400, "invalid_request"),
                ("/api/rooms", .post, try Self.body(["maxPeers": 99]), auth, 400, "invalid_request"),
                ("/api/rooms", .post, try Self.body(["maxPeers": "four"]), auth, 400, "invalid_request"),
                ("/api/rooms", .post, try Self.body(["contact": "npub1xyz"]), auth, 404, "contact_not_found"),
                ("/api/rooms", .post, ByteBuffer(string: String(repeating: " ", count: 20_000)), auth, 413, "invalid_request"),
                ("/api/rooms/nosuchroom12", .get, nil, auth, 404, "room_not_found"),
                ("/api/rooms/bad%20code!/close", .post, nil, auth, 400, "invalid_request"),
                ("/api/rooms/nosuchroom12/invites", .post, nil, auth, 404, "room_not_found"),
                ("/api/calls/history?limit=0", .get, nil, auth, 400, "invalid_request"),
                ("/api/calls/incoming/abcdef0123456789/accept", .post, nil, auth, 404, "invite_not_found"),
            ]
            for (uri, method, body, headers, status, code) in cases {
                let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
                #expect(response.status.code == status, "\(method) \(uri)")
                let error = try Self.json(response.body)["error"] as? [String: Any]
                #expect(error?["code"] as? String == code, "\(method) \(uri)")
            }
        }
    }
}

/// The history pages by a cursor of time and call id, so calls started in the same millisecond (one
/// group commit gives them one time) are neither skipped nor repeated.
@Suite struct HistoryPagingTests {
    @Test func pagesCoverEveryCallOnceEvenWhenTimesAreEqual() async throws {
        let dir = try TemporaryDirectory()
        let configuration = signalingConfiguration(dir)
        let token = try await ownerAPIToken(configuration)
        // Seven rooms recorded in the same millisecond (a frozen clock stands in for one busy group
        // commit, which gives all its events one time).
        let frozen = LedgerClock.systemMilliseconds()
        let side = try CallStore(
            ledger: LedgerConfiguration(path: configuration.ledgerPath, clock: { frozen }),
            settings: CallSettings(clock: { frozen })
        )
        var created: [String] = []
        for _ in 0..<7 { created.append(try await side.createRoom(hostName: "Ada", createdBy: .api).code) }
        let codes = created
        try side.close()
        let app = try await buildApplication(configuration)
        try await app.test(.router) { client in
            var seen: [String] = []
            var before: String?
            for _ in 0..<10 {
                let uri = "/api/calls/history?limit=2" + (before.map { "&before=\($0)" } ?? "")
                let page = try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                    #expect(response.status == .ok)
                    return (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
                }
                seen += (page["calls"] as? [[String: Any]] ?? []).compactMap { $0["roomCode"] as? String }
                guard let next = page["next"] as? String else { break }
                before = next.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ".-_")))
            }
            #expect(seen.count == 7)
            #expect(Set(seen) == Set(codes))
            // A bare time still works, and a malformed cursor is a clear 400.
            try await client.execute(uri: "/api/calls/history?before=1", method: .get, headers: [.authorization: "Bearer \(token)"]) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/api/calls/history?before=12.room%3Cx%3E", method: .get, headers: [.authorization: "Bearer \(token)"]) {
                #expect($0.status == .badRequest)
            }
        }
    }
}
