import CallStore
import Foundation
import Gateway
import HummingbirdTesting
import Ledger
import Projections
import Testing
import TestSupport

/// Rooms that outlive a restart: an empty room that had a call ends after the empty-room grace, like
/// any room that empties while the gateway runs; a room nobody has joined yet keeps waiting.
/// `.live` for the first run only: a peer joins over a real WebSocket; the restart needs only the router.
@Suite struct RestartRoomsTests {
    @Test func anEmptyRoomFromBeforeARestartEndsAfterTheGrace() async throws {
        let dir = try TemporaryDirectory()
        var first = signalingConfiguration(dir)
        first.emptyRoomGrace = 3_600_000  // nothing ends during the first run
        let side = try sideStore(first)
        let called = try await side.createRoom(hostName: "Ada", createdBy: .api)
        let waiting = try await side.createRoom(hostName: "Cy", createdBy: .api)
        let app = try await buildApplication(first)
        try await app.liveTest { client in
            let port = try #require(client.port)
            let ada = TestPeer(port: port, query: query(called.code, token: called.hostToken.secret))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await ada.run() }
                _ = try await ada.next("welcome")
                ada.send(#"{"type":"leave"}"#)
                _ = try await ada.closed()
                try await group.waitForAll()
            }
        }
        #expect(try await side.read { db in try Queries.room(called.code, in: db)?.state } == .live)

        var second = first
        second.emptyRoomGrace = 300
        let restarted = try await buildApplication(second)
        try await restarted.test(.router) { _ in
            try await waitUntil("the emptied room ends") {
                try await side.read { db in try Queries.room(called.code, in: db)?.state } == .ended
            }
            let ended = try await side.read { db in try Queries.room(called.code, in: db) }
            #expect(ended?.endReason == "empty")
            // Both rooms came from the one snapshot the hub started from, and the tick that ended the first
            // came past the grace: the room nobody joined got no timer and is still open for its guests.
            #expect(try await side.read { db in try Queries.room(waiting.code, in: db)?.state } == .live)
        }
    }
}
