import Foundation
import Synchronization
import GRDB
import Ledger
import Projections
import TestSupport

/// A fresh ledger file with the call projections.
func makeStore(
    in directory: TemporaryDirectory,
    name: String = "ledger.sqlite",
    synchronous: SynchronousMode = .full,
    clock: @escaping @Sendable () -> Int64 = LedgerClock.systemMilliseconds
) throws -> EventStore {
    try EventStore(
        configuration: LedgerConfiguration(path: directory.file(name), synchronous: synchronous, clock: clock),
        projector: CallProjector()
    )
}

/// A valid `room.created` for a new room.
func roomCreated(_ code: String, maxPeers: Int = 4) -> LedgerEvent {
    .roomCreated(RoomCreated(code: code, hostName: "Host", maxPeers: maxPeers, createdBy: .api, expiresAt: 4_000_000_000_000))
}

func peerJoined(_ code: String, peer: String, token: String = "t") -> LedgerEvent {
    .peerJoined(PeerJoined(room: code, peerId: peer, displayName: "Peer \(peer)", tokenId: token))
}

/// Opens the file with plain SQLite, bypassing the ledger, the way an attacker or a careless operator would.
func rawQueue(_ path: String) throws -> DatabaseQueue {
    try DatabaseQueue(path: path)
}

/// A twelve-character room code from a number, so tests can make many distinct rooms.
func roomCode(_ n: Int) -> String {
    let digits = String(n, radix: 36)
    return String(repeating: "a", count: max(0, 12 - digits.count)) + digits
}
