import CallSimulation
import CallStore
import Decisions
import Foundation
import Gateway
import HummingbirdTesting
import Ledger
import Projections
import NIOWebSocket
import Testing
import TestSupport

/// Signaling on the real server with real WebSocket clients (docs/SIGNALING.md).
/// `.live`: signaling is WebSockets between real clients.
@Suite struct SignalingTests {
    @Test func twoPeersExchangeOfferAnswerAndCandidatesAndFromCannotBeSpoofed() async throws {
        let dir = try TemporaryDirectory()
        let configuration = signalingConfiguration(dir)
        let side = try sideStore(configuration)
        let room = try await side.createRoom(hostName: "Ada", createdBy: .api, guest: CallStore.GuestRequest(label: "Bob"))
        let app = try await buildApplication(configuration)
        try await app.liveTest { client in
            let port = try #require(client.port)
            let ada = TestPeer(port: port, query: query(room.code, token: room.hostToken.secret, name: "Ada"))
            let bob = TestPeer(port: port, query: query(room.code, token: try #require(room.guest).token.secret, name: "Bob <b>"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await ada.run() }
                let adaWelcome = try await ada.next("welcome")
                let adaId = try #require(adaWelcome["peerId"] as? String)
                #expect((adaWelcome["peers"] as? [Any])?.isEmpty == true)
                #expect(adaWelcome["maxPeers"] as? Int == 4)
                #expect((adaWelcome["iceServers"] as? [Any])?.isEmpty == true)
                #expect((adaWelcome["resume"] as? String)?.count == 43)

                group.addTask { try await bob.run() }
                let bobWelcome = try await bob.next("welcome")
                let bobId = try #require(bobWelcome["peerId"] as? String)
                #expect(((bobWelcome["peers"] as? [[String: Any]])?.first?["peerId"] as? String) == adaId)
                let joined = try await ada.next("peer-joined")
                #expect(joined["peerId"] as? String == bobId)
                #expect(joined["name"] as? String == "Bob <b>")

                // Offer, answer and candidates, each to its target, `from` set by the server.
                ada.send(["type": "signal", "to": bobId, "from": "forged", "data": ["description": ["type": "offer", "sdp": "v=0 offer"]]])
                let offer = try await bob.next("signal")
                #expect(offer["from"] as? String == adaId)
                #expect(((offer["data"] as? [String: Any])?["description"] as? [String: Any])?["sdp"] as? String == "v=0 offer")
                bob.send(["type": "signal", "to": adaId, "data": ["description": ["type": "answer", "sdp": "v=0 answer"]]])
                let answer = try await ada.next("signal")
                #expect(answer["from"] as? String == bobId)
                for n in 0..<3 {
                    ada.send(["type": "signal", "to": bobId, "data": ["candidate": ["candidate": "candidate:\(n) 1 udp 1 10.0.0.1 500\(n) typ host", "sdpMid": "0"]]])
                }
                for n in 0..<3 {
                    let candidate = try await bob.next("signal")
                    #expect(((candidate["data"] as? [String: Any])?["candidate"] as? [String: Any])?["candidate"] as? String
                        == "candidate:\(n) 1 udp 1 10.0.0.1 500\(n) typ host")
                }
                bob.send(["type": "state", "audio": false, "video": true, "screen": false])
                let state = try await ada.next("state")
                #expect(state["from"] as? String == bobId)
                #expect(state["audio"] as? Bool == false)

                bob.send(["type": "leave"])
                let left = try await ada.next("peer-left")
                #expect(left["peerId"] as? String == bobId)
                #expect(left["reason"] as? String == "hangup")
                ada.send(#"{"type":"leave"}"#)
                _ = try await ada.closed()
                try await group.waitForAll()
            }
        }
        // SDP and candidates never reach the ledger.
        let leaked = try await side.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE data LIKE '%v=0%' OR data LIKE '%candidate:%'")
        }
        #expect(leaked == 0)
        let reasons = try await leaveReasons(side, room: room.code)
        #expect(reasons == ["hangup", "hangup"])
    }

    @Test func everyRefusalHasItsStatusAndCode() async throws {
        let dir = try TemporaryDirectory()
        // The two seats admitted below never get a socket; a long grace keeps them (and the room full)
        // for the whole test instead of releasing them as timed out.
        let configuration = signalingConfiguration(dir, grace: 120_000)
        let side = try sideStore(configuration)
        let room = try await side.createRoom(hostName: "Ada", maxPeers: 2, createdBy: .api)
        let other = try await side.createRoom(hostName: "Cy", createdBy: .api)
        let used = try await side.issueGuestToken(room: room.code, guest: CallStore.GuestRequest(label: "used"))
        let revoked = try await side.issueGuestToken(room: room.code, guest: CallStore.GuestRequest(label: "revoked"))
        try await side.revokeToken(id: revoked.token.id)
        // A token issued two days ago by a clock in the past has expired.
        let past = try sideStore(configuration) { LedgerClock.systemMilliseconds() - 2 * 86_400_000 }
        let expired = try await past.issueGuestToken(room: room.code, guest: CallStore.GuestRequest(label: "old"))
        let spare = try await side.issueGuestToken(room: room.code, guest: CallStore.GuestRequest(label: "spare"))
        let late = try await side.issueGuestToken(room: other.code, guest: CallStore.GuestRequest(label: "late"))
        try await side.endRoom(other.code, reason: .closed)

        let app = try await buildApplication(configuration)
        try await app.liveTest { client in
            // Admitted after the start (a start closes the seats of earlier processes).
            _ = try await side.admit(room: room.code, token: used.token.secret, displayName: "Used")
            _ = try await side.admit(room: room.code, token: room.hostToken.secret, displayName: "Ada")  // now full (2)
            let cases: [(String, Int, String)] = [
                (query(room.code, token: used.token.secret), 409, "token_used"),
                (query(room.code, token: other.hostToken.secret), 401, "token_invalid"),  // a token of another room
                (query(room.code, token: "no-such-token"), 401, "token_invalid"),
                (query(room.code, token: expired.token.secret), 410, "token_expired"),
                (query(room.code, token: revoked.token.secret), 410, "token_revoked"),
                (query(room.code, token: spare.token.secret), 409, "room_full"),
                (query(other.code, token: late.token.secret), 410, "room_ended"),
                (query("nosuchroom12", token: spare.token.secret), 404, "room_not_found"),
                ("room=\(room.code)", 400, "invalid_request"),
                ("token=abc", 400, "invalid_request"),
                (query(room.code, token: spare.token.secret) + "&resume=x", 400, "invalid_request"),
                ("room=\(room.code)&resume=not-a-resume-secret", 401, "token_invalid"),
            ]
            let port = try #require(client.port)
            for (query, status, code) in cases {
                let answer = try await upgradeAttempt(port: port, query: query)
                #expect(answer.status == status, "\(query)")
                #expect(answer.code == code, "\(query)")
                #expect(answer.headers[.contentType]?.hasPrefix("application/json") == true)
            }
            // Without an upgrade it is not a WebSocket at all.
            try await client.execute(uri: "/calls/ws?\(query(room.code, token: spare.token.secret))", method: .get) { response in
                #expect(response.status == .upgradeRequired)
            }
            // Refusals are counted in metrics, by reason.
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"crow_signaling_joins_refused_total{reason="token_used"} 1"#))
                #expect(text.contains(#"crow_signaling_joins_refused_total{reason="room_full"} 1"#))
            }
        }
        // None of it reached the ledger: the spare token is still unused.
        let spareState = try await side.read { db in try Queries.token(id: spare.token.id, in: db)?.state }
        #expect(spareState == .issued)
    }

    @Test func twentyConcurrentJoinsWithOneTokenAdmitExactlyOne() async throws {
        let dir = try TemporaryDirectory()
        var configuration = signalingConfiguration(dir)
        // The 19 losers each count as a failed token; the per-address throttle must not turn any of
        // them away before they reach the ledger.
        configuration.failedJoinsPerIP = 100
        let side = try sideStore(configuration)
        let room = try await side.createRoom(hostName: "Ada", maxPeers: 4, createdBy: .api, guest: CallStore.GuestRequest(label: "Bob"))
        let secret = try #require(room.guest).token.secret
        let app = try await buildApplication(configuration)
        try await app.liveTest { client in
            let port = try #require(client.port)
            let peers = (0..<20).map { _ in TestPeer(port: port, query: query(room.code, token: secret)) }
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for peer in peers {
                    group.addTask {
                        await withThrowingTaskGroup(of: Void.self) { inner in
                            inner.addTask { try await peer.run() }
                            let welcomed = (try? await peer.welcomed()) ?? false
                            peer.close()
                            try? await inner.waitForAll()
                            return welcomed
                        }
                    }
                }
                var all: [Bool] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            #expect(outcomes.filter { $0 }.count == 1)
            // Every loser reached the ledger and was refused there as a used token.
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"crow_signaling_joins_refused_total{reason="token_used"} 19"#), "\(text)")
            }
        }
        let used = try await side.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE type = 'token.used'") }
        #expect(used == 1)
    }

    @Test func malformedInputGetsAnErrorAndBreaksNothing() async throws {
        let dir = try TemporaryDirectory()
        let configuration = signalingConfiguration(dir)
        let side = try sideStore(configuration)
        let first = try await side.createRoom(hostName: "Ada", createdBy: .api, guest: CallStore.GuestRequest(label: "Bob"))
        let second = try await side.createRoom(hostName: "Cy", createdBy: .api, guest: CallStore.GuestRequest(label: "Di"))
        let app = try await buildApplication(configuration)
        try await app.liveTest { client in
            let port = try #require(client.port)
            let mallory = TestPeer(port: port, query: query(first.code, token: first.hostToken.secret))
            let cy = TestPeer(port: port, query: query(second.code, token: second.hostToken.secret))
            let di = TestPeer(port: port, query: query(second.code, token: try #require(second.guest).token.secret))
            try await withPeers([mallory, cy, di]) { welcomes in
                let diId = try #require(welcomes[2]["peerId"] as? String)
                for (text, code) in [
                    ("{not json", "invalid_json"), (#"{"type":"teleport"}"#, "unknown_type"),
                    (#"{"type":"signal","to":"x"}"#, "invalid_message"), ("[]", "invalid_json"),
                    (#"{"type":"signal","to":"nobody","data":{"candidate":{}}}"#, "peer_not_found"),
                ] {
                    mallory.send(text)
                    let error = try await mallory.next("error")
                    #expect(error["code"] as? String == code, "\(text)")
                }
                // Still connected and served.
                mallory.send(#"{"type":"ping"}"#)
                _ = try await mallory.next("pong")
                // The other room never noticed.
                cy.send(["type": "signal", "to": diId, "data": ["candidate": ["candidate": "c"]]])
                _ = try await di.next("signal")
            }
        }
    }

    @Test func aMessageOverTheLimitClosesThatSocketWith1009() async throws {
        try await withLiveRoom { live in
            let big = live.host()
            let bob = try live.guest()
            try await withPeers([big, bob]) { _ in
                big.send(#"{"type":"ping","pad":""# + String(repeating: "x", count: 70_000) + #""}"#)
                #expect(try await big.closed() == .messageTooLarge)
                // Bob's socket is unaffected.
                bob.send(#"{"type":"ping"}"#)
                _ = try await bob.next("pong")
            }
        }
    }

    @Test func floodsAreLimitedAndBadTokensAreThrottledPerIP() async throws {
        let dir = try TemporaryDirectory()
        var configuration = signalingConfiguration(dir)
        configuration.messagesPerSecond = 20
        configuration.failedJoinsPerIP = 5
        let side = try sideStore(configuration)
        let room = try await side.createRoom(hostName: "Ada", createdBy: .api, guest: CallStore.GuestRequest(label: "Bob"))
        let app = try await buildApplication(configuration)
        try await app.liveTest { client in
            let port = try #require(client.port)
            let flooder = TestPeer(port: port, query: query(room.code, token: room.hostToken.secret))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await flooder.run() }
                _ = try await flooder.next("welcome")
                for _ in 0..<400 { flooder.send(#"{"type":"ping"}"#) }
                let limited = try await flooder.next("error")
                #expect(limited["code"] as? String == "rate_limited")
                // Sustained flooding closes the socket with 1008 (policy violation).
                #expect(try await flooder.closed() == .policyViolation)
                try? await group.waitForAll()
            }
            // Five wrong tokens, then even a right one is refused for a while.
            for _ in 0..<5 {
                #expect(try await upgradeAttempt(port: port, query: query(room.code, token: "guess")).status == 401)
            }
            let good = try #require(room.guest).token.secret
            let throttled = try await upgradeAttempt(port: port, query: query(room.code, token: good))
            #expect(throttled.status == 429)
            #expect(throttled.code == "rate_limited")
            #expect(throttled.headers[.retryAfter] != nil)
        }
        // The throttled attempt did not use the token.
        let state = try await side.read { db in try Queries.tokens(room: room.code, in: db).first { $0.label == "Bob" }?.state }
        #expect(state == .issued)
    }

    @Test func openSocketsPerIPAreCapped() async throws {
        let dir = try TemporaryDirectory()
        var configuration = signalingConfiguration(dir)
        configuration.connectionsPerIP = 2
        let side = try sideStore(configuration)
        let room = try await side.createRoom(hostName: "Ada", createdBy: .api, guest: CallStore.GuestRequest(label: "Bob"))
        let third = try await side.issueGuestToken(room: room.code, guest: CallStore.GuestRequest(label: "Cy"))
        let app = try await buildApplication(configuration)
        try await app.liveTest { client in
            let port = try #require(client.port)
            let ada = TestPeer(port: port, query: query(room.code, token: room.hostToken.secret))
            let bob = TestPeer(port: port, query: query(room.code, token: try #require(room.guest).token.secret))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await ada.run() }
                group.addTask { try await bob.run() }
                _ = try await ada.next("welcome")
                _ = try await bob.next("welcome")
                let refused = try await upgradeAttempt(port: port, query: query(room.code, token: third.token.secret))
                #expect(refused.status == 429)
                #expect(refused.code == "rate_limited")
                // Once one leaves, there is room again.
                bob.send(#"{"type":"leave"}"#)
                _ = try await bob.closed()
                // A refused attempt ends at once (429 leaves the token unused); keep trying until one is
                // welcomed, however slow the machine is.
                var admitted = false
                for _ in 0..<50 where !admitted {
                    let cy = TestPeer(port: port, query: query(room.code, token: third.token.secret))
                    group.addTask { try? await cy.run() }
                    admitted = try await cy.welcomed()
                    cy.close()
                    if !admitted { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(admitted)
                ada.close()
                try await group.waitForAll()
            }
        }
    }

    /// The grace runs on the gateway's clock, which here moves only when the test moves it: "within the
    /// grace" and "past the grace" are what the test says, not what a busy machine makes of them.
    @Test func aResumeWithinTheGraceKeepsThePeerAndOthersSeeNothing() async throws {
        let dir = try TemporaryDirectory()
        var configuration = signalingConfiguration(dir, grace: 8_000)
        let clock = SimulatedClock(start: LedgerClock.systemMilliseconds())
        configuration.clock = clock.function
        let side = try sideStore(configuration)
        let room = try await side.createRoom(hostName: "Ada", createdBy: .api, guest: CallStore.GuestRequest(label: "Bob"))
        let app = try await buildApplication(configuration)
        try await app.liveTest { client in
            let port = try #require(client.port)
            let ada = TestPeer(port: port, query: query(room.code, token: room.hostToken.secret))
            let bob = TestPeer(port: port, query: query(room.code, token: try #require(room.guest).token.secret))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await ada.run() }
                _ = try await ada.next("welcome")
                group.addTask { try await bob.run() }
                let welcome = try await bob.next("welcome")
                let bobId = try #require(welcome["peerId"] as? String)
                let resume = try #require(welcome["resume"] as? String)
                _ = try await ada.next("peer-joined")

                // Bob's network drops (the socket ends without a leave) and comes back within the grace.
                bob.close()
                _ = try await bob.closed()
                clock.advance(by: 7_000)
                let back = TestPeer(port: port, query: "room=\(room.code)&resume=\(resume.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
                group.addTask { try await back.run() }
                let again = try await back.next("welcome")
                #expect(again["peerId"] as? String == bobId)
                #expect(again["resume"] as? String != resume)  // a fresh secret each time
                // Well past the grace (the hub ticks every 100 ms of real time): had the resume not kept
                // the seat, the others would be told by now.
                clock.advance(by: 16_000)
                #expect(await ada.receives("peer-left", within: .seconds(3)) == false)
                // The old secret no longer works.
                let stale = "room=\(room.code)&resume=\(resume.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
                #expect(try await upgradeAttempt(port: port, query: stale).status == 401)

                // Dropping again and staying away past the grace: now the others are told.
                back.close()
                _ = try await back.closed()
                // The hub sees the socket end a moment after Bob does, so the clock moves a second at a
                // time until the seat is let go, rather than once at a moment that could come first.
                var told: [String: Any]?
                for _ in 0..<120 where told == nil {
                    clock.advance(by: 1_000)
                    told = try? await ada.next("peer-left", timeout: .milliseconds(250))
                }
                let left = try #require(told)
                #expect(left["peerId"] as? String == bobId)
                #expect(left["reason"] as? String == "timeout")
                ada.send(#"{"type":"leave"}"#)
                _ = try await ada.closed()
                try await group.waitForAll()
            }
        }
        // Bob timed out once (the resume kept his seat), then Ada hung up.
        #expect(try await leaveReasons(side, room: room.code) == ["timeout", "hangup"])
    }

    /// The server's close comes after everything it sent before, and reaches a peer that keeps sending
    /// and has not read anything yet: the peer finds every message, `room-closed` last, then the close
    /// frame with 4000, then the end of the connection. And no peer can fake the signal that orders a
    /// close.
    @Test func aPeerStillSendingWhenItsRoomClosesGetsEverythingAndTheCloseCode() async throws {
        let dir = try TemporaryDirectory()
        let configuration = signalingConfiguration(dir)
        let side = try sideStore(configuration)
        let room = try await side.createRoom(hostName: "Ada", createdBy: .api, guest: CallStore.GuestRequest(label: "Bob"))
        let apiToken = try await ownerAPIToken(configuration)
        let app = try await buildApplication(configuration)
        try await app.liveTest { client in
            let port = try #require(client.port)
            let ada = TestPeer(port: port, query: query(room.code, token: room.hostToken.secret))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await ada.run() }
                _ = try await ada.next("welcome")
                // A forged close signal is just a malformed message.
                ada.send("\u{0}close " + String(repeating: "A", count: 43))
                #expect(try await ada.next("error")["code"] as? String == "invalid_json")

                // Bob sends pings without reading anything, before and after the owner closes the room.
                let bob = try RawSocket(port: port)
                defer { bob.close() }
                let answer = try await bob.upgrade(path: "/calls/ws?" + query(room.code, token: try #require(room.guest).token.secret, name: "Bob"))
                #expect(answer.hasPrefix("HTTP/1.1 101"), "\(answer)")
                _ = try await ada.next("peer-joined")
                for n in 0..<150 {
                    if n == 50 {
                        try await client.execute(
                            uri: "/api/rooms/\(room.code)/close", method: .post, headers: [.authorization: "Bearer \(apiToken)"]
                        ) { response in
                            #expect(response.status == .ok)
                        }
                    }
                    try? bob.sendFrame(#"{"type":"ping"}"#)
                    try await Task.sleep(for: .milliseconds(2))
                }
                // Only now does Bob read: everything the server sent is there, the close frame last.
                let frames = try WebSocketFrames.parse(await bob.readToEnd(within: .seconds(60)))
                let texts = frames.compactMap(\.text).compactMap(TestPeer.type(of:))
                #expect(texts.first == "welcome")
                #expect(texts.last == "room-closed", "\(texts.suffix(3))")
                #expect(frames.last?.closeCode == 4000, "\(frames.suffix(2))")

                #expect(try await ada.next("room-closed")["reason"] as? String == "closed")
                #expect(try await ada.closed() == WebSocketErrorCode(codeNumber: 4000))
                try? await group.waitForAll()
            }
        }
    }

    @Test func closingARoomKicksEveryoneWithRoomClosed() async throws {
        let dir = try TemporaryDirectory()
        let configuration = signalingConfiguration(dir)
        let side = try sideStore(configuration)
        let room = try await side.createRoom(hostName: "Ada", createdBy: .api, guest: CallStore.GuestRequest(label: "Bob"))
        let spare = try await side.issueGuestToken(room: room.code, guest: CallStore.GuestRequest(label: "spare"))
        let apiToken = try await ownerAPIToken(configuration)
        let app = try await buildApplication(configuration)
        try await app.liveTest { client in
            let port = try #require(client.port)
            let ada = TestPeer(port: port, query: query(room.code, token: room.hostToken.secret))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await ada.run() }
                _ = try await ada.next("welcome")
                try await client.execute(
                    uri: "/api/rooms/\(room.code)/close",
                    method: .post,
                    headers: [.authorization: "Bearer \(apiToken)"]
                ) { response in
                    #expect(response.status == .ok)
                }
                let closed = try await ada.next("room-closed")
                #expect(closed["reason"] as? String == "closed")
                #expect(try await ada.closed() == WebSocketErrorCode(codeNumber: 4000))
                try? await group.waitForAll()
            }
        }
        let (reasons, spareState) = try await (leaveReasons(side, room: room.code), side.read { db in try Queries.token(id: spare.token.id, in: db)?.state })
        #expect(reasons == ["kicked"])
        #expect(spareState == .revoked)
    }
}
