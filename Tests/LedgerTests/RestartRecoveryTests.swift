import CallStore
import Decisions
import Foundation
import GRDB
import Ledger
import Projections
import Testing
import TestSupport

/// After an unclean stop, everyone still marked present is closed with `peer.left(restart)`.
@Suite struct RestartRecoveryTests {
    @Test func seatsLeftOpenByACrashAreClosedOnStart() async throws {
        let dir = try TemporaryDirectory()
        let configuration = LedgerConfiguration(path: dir.file("ledger.sqlite"))
        let settings = CallSettings(clock: LedgerClock.systemMilliseconds)
        do {
            let store = try CallStore(ledger: configuration, settings: settings)
            let room = try await store.createRoom(hostName: "Ada", createdBy: .api, guest: CallStore.GuestRequest(label: "Bob"))
            _ = try await store.admit(room: room.code, token: room.hostToken.secret, displayName: "Ada")
            _ = try await store.admit(room: room.code, token: try #require(room.guest).token.secret, displayName: "Bob")
            let other = try await store.createRoom(hostName: "Cy", createdBy: .cli)
            let cy = try await store.admit(room: other.code, token: other.hostToken.secret, displayName: "Cy")
            try await store.leave(room: other.code, peerId: cy.peerId, reason: .hangup)
            // No leave for Ada and Bob: the process "dies" here.
            try store.close()
        }
        let store = try CallStore(ledger: configuration, settings: settings)
        #expect(try await store.recoverAfterRestart() == 2)
        let (present, reasons) = try await store.read { db in
            (
                try Queries.allPresentPeers(in: db),
                try String.fetchAll(
                    db,
                    sql: "SELECT json_extract(data, '$.reason') FROM events WHERE type = 'peer.left' ORDER BY position"
                )
            )
        }
        #expect(present.isEmpty)
        #expect(reasons == ["hangup", "restart", "restart"])
        // A second start finds nothing to close.
        #expect(try await store.recoverAfterRestart() == 0)
    }
}
