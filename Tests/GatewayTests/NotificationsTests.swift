import CallStore
import Decisions
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import CallSimulation
import Ledger
import NIOCore
import TestSupport
import Testing

/// The bell (`/api/notifications/poll`) and the live stream (`/api/calls/stream`) on the application,
/// with incoming calls recorded by another writer on the same ledger, as the Nostr inbox will.
/// `.live` for the stream tests (a real connection held open); the bell goes through the router.
@Suite struct NotificationsTests {
    static func invite(_ n: Int, caller: String = "Grace", now: Int64 = LedgerClock.systemMilliseconds()) -> InviteReceived {
        InviteReceived(
            inviteId: "invite-\(n)-" + String(repeating: "a", count: 8),
            nostrEventId: String(repeating: String(n % 10), count: 64),
            senderPubkey: String(repeating: "ab", count: 32),
            senderName: caller,
            room: "their-room-\(n)",
            joinUrl: "https://grace.example/calls?room=their-room-\(n)&token=t\(n)",
            sentAt: now - 500,
            receivedAt: now
        )
    }

    static func object(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
    }

    @Test func theBellShowsRingingCallsAndAnswers304WhenNothingChanged() async throws {
        let dir = try TemporaryDirectory()
        var configuration = signalingConfiguration(dir)
        // The gateway's clock moves only when told to: the call rings until the test moves it past the
        // ring window, however long the machine takes to show it.
        let clock = SimulatedClock(start: LedgerClock.systemMilliseconds())
        configuration.clock = clock.function
        configuration.ringWindow = 6_000
        let token = try await ownerAPIToken(configuration)
        let side = try sideStore(configuration)
        defer { try? side.close() }
        let app = try await buildApplication(configuration)
        try await app.test(.router) { client in
            let bearer: HTTPFields = [.authorization: "Bearer \(token)"]
            try await client.execute(uri: "/api/notifications/poll", method: .get) { #expect($0.status == .unauthorized) }
            let (first, etag) = try await client.execute(uri: "/api/notifications/poll", method: .get, headers: bearer) { response in
                #expect(response.status == .ok)
                // The kept answer names its length once, and it is the body's.
                #expect(response.headers[values: .contentLength] == ["\(response.body.readableBytes)"])
                return (Self.object(response), try #require(response.headers[.eTag]))
            }
            #expect(first["unread"] as? Int == 0)
            #expect((first["ringing"] as? [Any])?.isEmpty == true)
            let cursor = try #require(first["cursor"] as? String)
            #expect(etag == "\"\(cursor)\"")
            // Nothing new: 304 by header and by cursor, with no body.
            var conditional = bearer
            conditional[.ifNoneMatch] = etag
            try await client.execute(uri: "/api/notifications/poll", method: .get, headers: conditional) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/api/notifications/poll?since=\(cursor)", method: .get, headers: bearer) {
                #expect($0.status == .notModified)
            }

            // A call arrives (written by another process): the bell shows it, as text.
            let hostile = "<img src=x onerror=alert(1)>"
            try await side.receiveInvite(Self.invite(1, caller: hostile, now: clock.now))
            var ringing: [[String: Any]] = []
            var newCursor = cursor
            try await waitUntil("the call shows on the bell") {
                try await client.execute(uri: "/api/notifications/poll?since=\(cursor)", method: .get, headers: bearer) { response in
                    guard response.status == .ok else { return false }
                    #expect(response.headers[values: .contentLength] == ["\(response.body.readableBytes)"])
                    let answer = Self.object(response)
                    ringing = answer["ringing"] as? [[String: Any]] ?? []
                    newCursor = answer["cursor"] as? String ?? cursor
                    #expect(answer["unread"] as? Int == 1)
                    return true
                }
            }
            #expect(newCursor != cursor)
            #expect(ringing.count == 1)
            let call = try #require(ringing.first)
            #expect(call["senderName"] as? String == hostile)
            #expect(call["senderPubkey"] as? String == String(repeating: "ab", count: 32))
            // The former names, kept for one release (docs/DECISIONS.md): present and equal.
            #expect(call["caller"] as? String == call["senderName"] as? String)
            #expect(call["callerPubkey"] as? String == call["senderPubkey"] as? String)
            #expect(call["roomCode"] as? String == "their-room-1")
            let receivedAt = try #require(call["receivedAt"] as? Int64)
            #expect(call["expiresAt"] as? Int64 == receivedAt + 6_000)

            // Just before the window ends, it still rings.
            clock.advance(by: 5_999)
            try await client.execute(uri: "/api/notifications/poll", method: .get, headers: bearer) { response in
                #expect((Self.object(response)["ringing"] as? [Any])?.count == 1)
            }
            // The ring window passes: no event says so, yet the bell's content and cursor change.
            clock.advance(by: 1)
            try await waitUntil("the call rings out") {
                try await client.execute(uri: "/api/notifications/poll?since=\(newCursor)", method: .get, headers: bearer) { response in
                    guard response.status == .ok else { return false }
                    let answer = Self.object(response)
                    #expect(answer["unread"] as? Int == 1)  // missed, still unread
                    return (answer["ringing"] as? [Any])?.isEmpty == true
                }
            }
        }
    }

    @Test func theStreamDeliversEachChangeOnceAndResumesFromLastEventID() async throws {
        let dir = try TemporaryDirectory()
        var configuration = signalingConfiguration(dir)
        configuration.streamHeartbeat = .seconds(1)
        let token = try await ownerAPIToken(configuration)
        let side = try sideStore(configuration)
        defer { try? side.close() }
        let app = try await buildApplication(configuration)
        try await app.liveTest { client in
            let port = try #require(client.port)
            let bearer: HTTPFields = [.authorization: "Bearer \(token)"]
            let anonymous = try await EventStreamClient(port: port, path: "/api/calls/stream", headers: [:])
            #expect(anonymous.status == 401)
            anonymous.close()

            let stream = try await EventStreamClient(port: port, path: "/api/calls/stream", headers: ["Authorization": "Bearer \(token)"])
            #expect(stream.status == 200)
            #expect(stream.head.lowercased().contains("content-type: text/event-stream"))
            let hello = try #require(try await stream.next())
            #expect(hello.comments.contains("connected"))

            try await side.receiveInvite(Self.invite(1))
            let received = try #require(try await stream.nextEvent())
            #expect(received.event == "received")
            let firstID = try #require(received.id.flatMap { Int64($0) })
            #expect(received.data?.contains("invite-1-aaaaaaaa") == true)
            // The call under its settled names and, for one release, the former ones, equal.
            let data = try #require(received.data.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            #expect(data["senderName"] as? String == "Grace" && data["caller"] as? String == "Grace")
            #expect(data["senderPubkey"] as? String == String(repeating: "ab", count: 32))
            #expect(data["callerPubkey"] as? String == data["senderPubkey"] as? String)
            let position = try await side.read { db in try EventReader.headPosition(in: db) }
            #expect(firstID == position)

            try await client.execute(uri: "/api/calls/incoming/invite-1-aaaaaaaa/dismiss", method: .post, headers: bearer) {
                #expect($0.status == .noContent)
            }
            let dismissed = try #require(try await stream.nextEvent())
            #expect(dismissed.event == "dismissed")
            let lastSeen = try #require(dismissed.id)
            // Idle: a heartbeat comment keeps the stream alive.
            let idle = try #require(try await stream.next(timeout: .seconds(5)))
            #expect(idle.comments.contains("ping"))
            stream.close()

            // While the owner's page is away, a call comes and is declined, another comes.
            try await side.receiveInvite(Self.invite(2))
            try await side.declineIncoming("invite-2-aaaaaaaa")
            try await side.receiveInvite(Self.invite(3))
            let resumed = try await EventStreamClient(
                port: port,
                path: "/api/calls/stream",
                headers: ["Authorization": "Bearer \(token)", "Last-Event-ID": lastSeen]
            )
            var replayed: [EventStreamClient.Event] = []
            while replayed.count < 3, let event = try await resumed.nextEvent() { replayed.append(event) }
            #expect(replayed.map(\.event) == ["received", "declined", "received"])
            #expect(replayed[0].data?.contains("invite-2-") == true)
            #expect(replayed[2].data?.contains("invite-3-") == true)
            let ids = replayed.compactMap { $0.id.flatMap { Int64($0) } }
            #expect(ids == ids.sorted() && Set(ids).count == 3 && ids.allSatisfy { $0 > Int64(lastSeen)! })
            // Nothing before the resume point comes again.
            #expect(try await resumed.nextEvent(timeout: .seconds(2)) == nil)
            resumed.close()
        }
    }

    @Test func aCallThatRingsOutIsSentAsExpired() async throws {
        let dir = try TemporaryDirectory()
        var configuration = signalingConfiguration(dir)
        let clock = SimulatedClock(start: LedgerClock.systemMilliseconds())
        configuration.clock = clock.function
        configuration.ringWindow = 5_000
        let token = try await ownerAPIToken(configuration)
        let side = try sideStore(configuration)
        defer { try? side.close() }
        let app = try await buildApplication(configuration)
        try await app.liveTest { client in
            let port = try #require(client.port)
            let stream = try await EventStreamClient(port: port, path: "/api/calls/stream", headers: ["Authorization": "Bearer \(token)"])
            defer { stream.close() }
            try await side.receiveInvite(Self.invite(4, now: clock.now))
            #expect(try await stream.nextEvent()?.event == "received")
            // Nothing expires while the clock stands still (the stream checks every second).
            #expect(try await stream.nextEvent(timeout: .seconds(2)) == nil)
            clock.advance(by: 5_000)
            let expired = try #require(try await stream.nextEvent(timeout: .seconds(30)))
            #expect(expired.event == "expired")
            #expect(expired.id == nil)
            #expect(expired.data == #"{"id":"invite-4-aaaaaaaa"}"#)
        }
    }

    @Test func openStreamsAreCappedAndAClosedStreamFreesItsPlace() async throws {
        let dir = try TemporaryDirectory()
        var configuration = signalingConfiguration(dir)
        configuration.maxStreams = 1
        configuration.streamHeartbeat = .seconds(1)
        let token = try await ownerAPIToken(configuration)
        let app = try await buildApplication(configuration)
        try await app.liveTest { client in
            let port = try #require(client.port)
            let headers = ["Authorization": "Bearer \(token)"]
            let first = try await EventStreamClient(port: port, path: "/api/calls/stream", headers: headers)
            #expect(first.status == 200)
            let second = try await EventStreamClient(port: port, path: "/api/calls/stream", headers: headers)
            #expect(second.status == 429)
            second.close()
            first.close()
            // The server sees the client go on its next write (the heartbeat); then the place is free.
            try await waitUntil("a stream can open again", timeout: .seconds(20)) {
                let again = try await EventStreamClient(port: port, path: "/api/calls/stream", headers: headers)
                defer { again.close() }
                return again.status == 200
            }
        }
    }
}
