public import GRDB
import Ledger

/// Read-side queries over the projections. Each takes an open `Database` (a read snapshot or the
/// append transaction) so callers choose their consistency.
public enum Queries {
    public static func room(_ code: String, in db: Database) throws -> RoomRecord? {
        try RoomRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM rooms WHERE code = ?"), arguments: [code])
    }

    public static func liveRooms(in db: Database) throws -> [RoomRecord] {
        try RoomRecord.fetchAll(db, sql: "SELECT * FROM rooms WHERE state = 'live' ORDER BY created_at, code")
    }

    /// Live rooms with the number of people present and whether anyone has ever joined (the room
    /// records its peak), for signaling to start from.
    public static func liveRoomsForSignaling(in db: Database) throws -> [(room: RoomRecord, hadPeers: Bool)] {
        try Row.fetchAll(
            db,
            sql: "SELECT *, peak_peers > 0 AS had_peers FROM rooms WHERE state = 'live' ORDER BY created_at, code"
        ).map { row in (try RoomRecord(row: row), row["had_peers"] as Bool) }
    }

    public static func liveRoomCount(in db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rooms WHERE state = 'live'") ?? 0
    }

    public static func presentPeerCount(in db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM room_peers") ?? 0
    }

    public static func peers(in room: String, db: Database) throws -> [RoomPeerRecord] {
        try RoomPeerRecord.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM room_peers WHERE room_code = ? ORDER BY joined_at, peer_id"),
            arguments: [room]
        )
    }

    /// Everyone marked present, in every room (used at start to close seats left by a crash).
    public static func allPresentPeers(in db: Database) throws -> [RoomPeerRecord] {
        try RoomPeerRecord.fetchAll(db, sql: "SELECT * FROM room_peers ORDER BY room_code, joined_at, peer_id")
    }

    public static func token(id: String, in db: Database) throws -> TokenRecord? {
        try TokenRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM tokens WHERE token_id = ?"), arguments: [id])
    }

    /// Looks a token up by the SHA-256 (hex) of the secret a client presented; the table holds its bytes.
    public static func token(hash: String, in db: Database) throws -> TokenRecord? {
        try TokenRecord.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM tokens WHERE token_hash = ?"),
            arguments: [StoredDigest(hex: hash)]
        )
    }

    public static func tokens(room: String, in db: Database) throws -> [TokenRecord] {
        try TokenRecord.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM tokens WHERE room_code = ? ORDER BY issued_at, token_id"),
            arguments: [room]
        )
    }

    public static func incomingCall(id: String, in db: Database) throws -> IncomingCallRecord? {
        try IncomingCallRecord.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM incoming_calls WHERE invite_id = ?"),
            arguments: [id]
        )
    }

    public static func incomingCall(nostrEventId: String, in db: Database) throws -> IncomingCallRecord? {
        try IncomingCallRecord.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM incoming_calls WHERE nostr_event_id = ?"),
            arguments: [StoredDigest(hex: nostrEventId)]
        )
    }

    /// "Incoming in the last hour, undismissed": what the Calls panel and the toast show. Calls the owner
    /// dismissed or declined are left out; the rest carry their clock-aware status. Newest first.
    public static func recentIncoming(
        now: Int64,
        window: Int64 = 3_600_000,
        limit: Int = 50,
        in db: Database
    ) throws -> [IncomingCallRecord] {
        try IncomingCallRecord.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT * FROM incoming_calls
                    WHERE received_at >= ? AND status NOT IN ('dismissed', 'declined')
                    ORDER BY received_at DESC, invite_id LIMIT ?
                    """
            ),
            arguments: [now - window, limit]
        )
    }

    /// Incoming calls still ringing at `now` (`RingWindow`): received within the ring window and not
    /// acted on. Newest first. What the bell and the toast show.
    public static func ringing(now: Int64, ringWindow: Int64, limit: Int = 20, in db: Database) throws -> [IncomingCallRecord] {
        guard let earliest = RingWindow(ringWindow).earliestRinging(now: now) else { return [] }
        return try IncomingCallRecord.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT * FROM incoming_calls
                    WHERE received_at >= ? AND status = 'ringing'
                    ORDER BY received_at DESC, invite_id LIMIT ?
                    """
            ),
            arguments: [earliest, limit]
        )
    }

    public static func outgoingInvite(id: String, in db: Database) throws -> OutgoingInviteRecord? {
        try OutgoingInviteRecord.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM outgoing_invites WHERE invite_id = ?"),
            arguments: [id]
        )
    }

    public static func outgoingInvites(room: String, in db: Database) throws -> [OutgoingInviteRecord] {
        try OutgoingInviteRecord.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM outgoing_invites WHERE room_code = ? ORDER BY requested_at, invite_id"),
            arguments: [room]
        )
    }

    /// Invites the outbox still has to deliver, oldest first.
    public static func pendingInvites(limit: Int = 100, in db: Database) throws -> [OutgoingInviteRecord] {
        try OutgoingInviteRecord.fetchAll(
            db.cachedStatement(
                sql: "SELECT * FROM outgoing_invites WHERE state = 'pending' ORDER BY requested_at, invite_id LIMIT ?"
            ),
            arguments: [limit]
        )
    }

    /// The latest outgoing invites, newest first, whatever their state: what the self-test page shows
    /// the owner about invites sent.
    public static func latestOutgoingInvites(limit: Int, in db: Database) throws -> [OutgoingInviteRecord] {
        try OutgoingInviteRecord.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM outgoing_invites ORDER BY requested_at DESC, invite_id DESC LIMIT ?"),
            arguments: [limit]
        )
    }

    /// The latest incoming calls, newest first, dismissed and declined ones included: what the self-test
    /// page shows the owner about invites received.
    public static func latestIncomingCalls(limit: Int, in db: Database) throws -> [IncomingCallRecord] {
        try IncomingCallRecord.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM incoming_calls ORDER BY received_at DESC, invite_id DESC LIMIT ?"),
            arguments: [limit]
        )
    }

    /// Call history, newest first. `before` pages back: calls that started before `startedAt`, or at
    /// that same millisecond with a smaller call id (many calls can share a millisecond, since one
    /// group commit gives all its events one `recorded_at`).
    ///
    /// The calls are the hosted rooms (call id `room-<code>`, started when created) and the received
    /// invites (`invite-<id>`, started when received), read from their own rows: each side walks its
    /// index on the start backwards and stops at `limit`, and the two pages are merged.
    public static func history(
        limit: Int = 50,
        before: (startedAt: Int64, callId: String)? = nil,
        in db: Database
    ) throws -> [CallHistoryRecord] {
        let cursor = before ?? (Int64.max, "")
        return try CallHistoryRecord.fetchAll(
            db.cachedStatement(sql: historySQL),
            arguments: [cursor.startedAt, before == nil ? "" : cursor.callId, limit]
        )
    }

    /// The history's page: `?1` and `?2` the cursor's start and call id, `?3` the limit. A room's call
    /// id orders as its code (one prefix), so its side pages on `rooms_by_start`; an invite's on
    /// `incoming_calls_by_received`, whose entries end with the invite id (the table's key). The
    /// outcomes are those the history always had: a live room is `ongoing`, an ended one `answered`
    /// when two or more people were in it at once; an invite's is its status, and it ended when its
    /// status last changed unless it still rings.
    package static let historySQL = """
        SELECT * FROM (
            SELECT 'room-' || code AS call_id, 'outgoing' AS direction, code AS room_code, host_name AS counterpart,
                participants, peak_peers, created_at AS started_at, ended_at, duration_ms,
                CASE WHEN state = 'live' THEN 'ongoing' WHEN peak_peers >= 2 THEN 'answered' ELSE 'unanswered' END AS outcome,
                position
            FROM rooms
            WHERE created_at <= ?1 AND (created_at < ?1 OR 'room-' || code < ?2)
            ORDER BY created_at DESC, code DESC LIMIT ?3
        )
        UNION ALL
        SELECT * FROM (
            SELECT 'invite-' || invite_id, 'incoming', room_code, sender_name, json_array(sender_name), 0, received_at,
                CASE WHEN status = 'ringing' THEN NULL ELSE status_changed_at END,
                CASE WHEN status = 'ringing' THEN NULL ELSE status_changed_at - received_at END,
                status, position
            FROM incoming_calls
            WHERE received_at <= ?1 AND (received_at < ?1 OR 'invite-' || invite_id < ?2)
            ORDER BY received_at DESC, invite_id DESC LIMIT ?3
        )
        ORDER BY started_at DESC, call_id DESC LIMIT ?3
        """

    public static func bell(in db: Database) throws -> BellRecord {
        try BellRecord.fetchOne(db, sql: "SELECT unread, position FROM bell WHERE id = 1") ?? BellRecord(unread: 0, position: 0)
    }

    public static func checkpoints(in db: Database) throws -> [String: Int64] {
        Dictionary(
            uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT name, position FROM projection_checkpoints").map {
                ($0["name"] as String, $0["position"] as Int64)
            }
        )
    }
}

extension Queries {
    /// The calls `sender` made into its room `room`, as this gateway received them (usually one; more
    /// when the caller rang again into the same room).
    public static func incomingCalls(from sender: String, room: String, in db: Database) throws -> [IncomingCallRecord] {
        try IncomingCallRecord.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM incoming_calls WHERE sender_pubkey = ? AND room_code = ? ORDER BY position"),
            arguments: [sender, room]
        )
    }
}
