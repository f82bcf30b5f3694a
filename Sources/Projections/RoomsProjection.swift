public import GRDB
public import Ledger

/// Room occupancy: live and ended rooms, who is in each, counts against max peers.
public struct RoomsProjection: Projection {
    public let name = "rooms"
    public let tables = ["rooms", "room_peers"]

    public init() {}

    public func apply(_ recorded: RecordedEvent, in db: Database) throws {
        switch recorded.event {
        case .roomCreated(let e):
            try db.execute(
                cached: """
                INSERT INTO rooms (position, code, host_name, max_peers, created_by, created_at, expires_at, state, peer_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'live', 0)
                """,
                recorded.position, e.code, e.hostName, e.maxPeers, e.createdBy.rawValue, recorded.recordedAt, e.expiresAt
            )
        case .peerJoined(let e):
            try db.execute(
                cached: "INSERT INTO room_peers (room_code, peer_id, display_name, token_id, joined_at) VALUES (?, ?, ?, ?, ?)",
                e.room, e.peerId, e.displayName, e.tokenId, recorded.recordedAt
            )
            try recount(e.room, in: db)
        case .peerLeft(let e):
            try db.execute(cached: "DELETE FROM room_peers WHERE room_code = ? AND peer_id = ?", e.room, e.peerId)
            try recount(e.room, in: db)
        case .roomEnded(let e):
            try db.execute(cached: "DELETE FROM room_peers WHERE room_code = ?", e.room)
            try db.execute(
                cached: "UPDATE rooms SET state = 'ended', peer_count = 0, ended_at = ?, end_reason = ? WHERE code = ?",
                recorded.recordedAt, e.reason.rawValue, e.room
            )
        default:
            break
        }
    }

    private func recount(_ room: String, in db: Database) throws {
        try db.execute(
            cached: "UPDATE rooms SET peer_count = (SELECT COUNT(*) FROM room_peers WHERE room_code = ?1) WHERE code = ?1",
            room
        )
    }
}
