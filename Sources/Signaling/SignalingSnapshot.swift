public import CallStore
import Ledger
import Projections

/// What the hub starts from: the live rooms at one ledger position.
public struct SignalingSnapshot: Sendable {
    struct Room: Sendable {
        var code: String
        var maxPeers: Int
        var present: Int
        var hadPeers: Bool
    }

    var position: Int64
    var liveRooms: [Room]

    init(position: Int64, liveRooms: [Room]) {
        self.position = position
        self.liveRooms = liveRooms
    }

    /// The live rooms and the ledger's head, read in one transaction, so that following the feed from
    /// that head misses nothing and repeats nothing.
    public static func read(from store: CallStore) async throws -> SignalingSnapshot {
        try await store.read { db in
            SignalingSnapshot(
                position: try EventReader.headPosition(in: db),
                liveRooms: try Queries.liveRoomsForSignaling(in: db).map {
                    Room(code: $0.room.code, maxPeers: $0.room.maxPeers, present: $0.room.peerCount, hadPeers: $0.hadPeers)
                }
            )
        }
    }
}
