public import GRDB
public import Ledger

/// Room occupancy: live and ended rooms, who is in each, counts against max peers. A room's row also
/// keeps what its call history shows beyond that (who joined, the most people present at once, the
/// duration): the history of hosted calls is read from `rooms` (`Queries.history`).
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
            // The count after the join, the peak it may raise, and the name added to the participants
            // unless someone of that name joined before (the call history reads all three).
            try db.execute(
                cached: """
                UPDATE rooms SET peer_count = present.count, peak_peers = max(peak_peers, present.count),
                    participants = CASE WHEN EXISTS (SELECT 1 FROM json_each(participants) WHERE value = ?2)
                        THEN participants ELSE json_insert(participants, '$[#]', ?2) END
                FROM (SELECT COUNT(*) AS count FROM room_peers WHERE room_code = ?1) AS present
                WHERE code = ?1
                """,
                e.room, e.displayName
            )
        case .peerLeft(let e):
            try db.execute(cached: "DELETE FROM room_peers WHERE room_code = ? AND peer_id = ?", e.room, e.peerId)
            try recount(e.room, in: db)
        case .roomEnded(let e):
            try db.execute(cached: "DELETE FROM room_peers WHERE room_code = ?", e.room)
            try db.execute(
                cached: "UPDATE rooms SET state = 'ended', peer_count = 0, ended_at = ?, end_reason = ?, duration_ms = ? WHERE code = ?",
                recorded.recordedAt, e.reason.rawValue, e.durationMs, e.room
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
