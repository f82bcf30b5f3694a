public import GRDB
import Ledger

// Everything that ties the record types (Records.swift) and their states (RecordStates.swift) to
// GRDB: reading a record from a row, and storing a state as its raw value. Records.swift and
// RecordStates.swift stay free of GRDB, so the pure rules in Decisions that take them do not see it.
//
// Rows are read by column name, without `Decodable`: the synthesized decoder with
// `convertFromSnakeCase` costs about 20 µs a row, which alone put "incoming calls in the last hour"
// over its 1 ms budget (docs/BENCHMARKS.md). The `Codable` conformances stay for JSON.

extension RoomRecord: FetchableRecord {
    public init(row: Row) throws {
        self.init(
            code: row["code"],
            hostName: row["host_name"],
            maxPeers: row["max_peers"],
            createdBy: row["created_by"],
            createdAt: row["created_at"],
            expiresAt: row["expires_at"],
            state: row["state"],
            peerCount: row["peer_count"],
            endedAt: row["ended_at"],
            endReason: row["end_reason"]
        )
    }
}

extension RoomPeerRecord: FetchableRecord {
    public init(row: Row) throws {
        self.init(
            roomCode: row["room_code"],
            peerId: row["peer_id"],
            displayName: row["display_name"],
            tokenId: row["token_id"],
            joinedAt: row["joined_at"]
        )
    }
}

extension TokenRecord: FetchableRecord {
    public init(row: Row) throws {
        self.init(
            tokenId: row["token_id"],
            roomCode: row["room_code"],
            tokenHash: (row["token_hash"] as StoredDigest).hex,
            role: row["role"],
            label: row["label"],
            invitee: row["invitee"],
            issuedAt: row["issued_at"],
            expiresAt: row["expires_at"],
            state: row["state"],
            usedByPeer: row["used_by_peer"],
            usedAt: row["used_at"],
            revokedReason: row["revoked_reason"],
            revokedAt: row["revoked_at"]
        )
    }
}

extension IncomingCallRecord: FetchableRecord {
    public init(row: Row) throws {
        self.init(
            inviteId: row["invite_id"],
            nostrEventId: (row["nostr_event_id"] as StoredDigest).hex,
            senderPubkey: row["sender_pubkey"],
            senderName: row["sender_name"],
            roomCode: row["room_code"],
            joinUrl: row["join_url"],
            sentAt: row["sent_at"],
            receivedAt: row["received_at"],
            status: row["status"],
            statusChangedAt: row["status_changed_at"],
            position: row["position"]
        )
    }
}

extension OutgoingInviteRecord: FetchableRecord {
    public init(row: Row) throws {
        self.init(
            inviteId: row["invite_id"],
            roomCode: row["room_code"],
            contactPubkey: row["contact_pubkey"],
            transport: row["transport"],
            tokenId: row["token_id"],
            requestedAt: row["requested_at"],
            state: row["state"],
            attempts: row["attempts"],
            relaysOk: row["relays_ok"],
            lastError: row["last_error"],
            updatedAt: row["updated_at"]
        )
    }
}

extension CallHistoryRecord: FetchableRecord {
    public init(row: Row) throws {
        self.init(
            callId: row["call_id"],
            direction: row["direction"],
            roomCode: row["room_code"],
            counterpart: row["counterpart"],
            participants: row["participants"],
            peakPeers: row["peak_peers"],
            startedAt: row["started_at"],
            endedAt: row["ended_at"],
            durationMs: row["duration_ms"],
            outcome: row["outcome"],
            position: row["position"]
        )
    }
}

extension BellRecord: FetchableRecord {
    public init(row: Row) throws {
        self.init(unread: row["unread"], position: row["position"])
    }
}

// The stored states, each as its raw value (the text the projections write).
extension RoomLifecycle: DatabaseValueConvertible {}
extension TokenState: DatabaseValueConvertible {}
extension IncomingCallStatus: DatabaseValueConvertible {}
extension OutgoingInviteState: DatabaseValueConvertible {}
extension CallDirection: DatabaseValueConvertible {}
extension CallOutcome: DatabaseValueConvertible {}
