import Foundation
import GRDB
import Ledger

/// Every read model rebuilt at once: the events are folded into rows in memory, and each table is then
/// written once, with one prepared statement per table. The event-by-event projectors run one to three
/// SQL statements per event; this runs none while folding.
///
/// It must give exactly the tables the projectors give (`RebuildPropertyTests` and
/// `ProjectionFoldTests` compare them). Each case below mirrors the statement of the projector it
/// stands for, in the projectors' order for one event: rooms, tokens, bell, incoming calls, outgoing
/// invites, call history. Where a projector's statement would fail (a second row with the same key),
/// the fold fails too, with `Conflict`, and the rebuild is refused as the projector's would be.
struct ProjectionFold {
    struct Conflict: Error, CustomStringConvertible {
        var description: String
    }

    struct Room {
        var code, hostName: String
        var maxPeers: Int
        var createdBy: String
        var createdAt, expiresAt: Int64
        var live = true
        var peerCount = 0
        var endedAt: Int64?
        var endReason: String?
    }

    struct Peer {
        var displayName, tokenId: String
        var joinedAt: Int64
    }

    struct Token {
        var roomCode, tokenHash, role: String
        var label, invitee: String?
        var issuedAt, expiresAt: Int64
        var state = "issued"
        var usedByPeer: String?
        var usedAt: Int64?
        var revokedReason: String?
        var revokedAt: Int64?
    }

    struct Incoming {
        var nostrEventId, senderPubkey, senderName, roomCode, joinURL: String
        var sentAt, receivedAt: Int64
        var status = "ringing"
        var statusChangedAt, position: Int64
    }

    struct Outgoing {
        var roomCode, contactPubkey, transport: String
        var tokenId: String?
        var requestedAt: Int64
        var state = "pending"
        var attempts = 0
        var relaysOK = 0
        var lastError: String?
        var updatedAt: Int64
    }

    struct History {
        var direction, roomCode, counterpart: String
        var participants: [String]
        var peakPeers: Int
        var startedAt: Int64
        var endedAt, durationMs: Int64?
        var outcome: String
        var position: Int64
    }

    var rooms: [String: Room] = [:]
    /// Room code → peer id → peer (rows of `room_peers`, whether or not the room row exists).
    var peers: [String: [String: Peer]] = [:]
    var tokens: [String: Token] = [:]
    var tokenHashes: Set<String> = []
    /// Room code → its tokens, for the revocation at a room's end.
    var tokensByRoom: [String: [String]] = [:]
    var incoming: [String: Incoming] = [:]
    var nostrEventIDs: Set<String> = []
    var outgoing: [String: Outgoing] = [:]
    /// Token id → the invites that minted it, for "answered".
    var outgoingByToken: [String: [String]] = [:]
    var history: [String: History] = [:]
    var bellUnread: Int64 = 0
    var bellPosition: Int64 = 0

    mutating func apply(_ recorded: RecordedEvent) throws {
        try apply(recorded.event, position: recorded.position, recordedAt: recorded.recordedAt)
    }

    /// Folds one event in: `position` and `recordedAt` are its place and time in the ledger.
    mutating func apply(_ event: LedgerEvent, position: Int64, recordedAt at: Int64) throws {
        switch event {
        case .roomCreated(let e):
            guard rooms[e.code] == nil else { throw Conflict(description: "room \(e.code) created twice") }
            rooms[e.code] = Room(
                code: e.code, hostName: e.hostName, maxPeers: e.maxPeers, createdBy: e.createdBy.rawValue, createdAt: at,
                expiresAt: e.expiresAt
            )
            try insertHistory(
                StreamName.room(e.code),
                History(
                    direction: "outgoing", roomCode: e.code, counterpart: e.hostName, participants: [], peakPeers: 0, startedAt: at,
                    outcome: "ongoing", position: position
                )
            )
        case .peerJoined(let e):
            guard peers[e.room]?[e.peerId] == nil else { throw Conflict(description: "peer \(e.peerId) joined \(e.room) twice") }
            peers[e.room, default: [:]][e.peerId] = Peer(displayName: e.displayName, tokenId: e.tokenId, joinedAt: at)
            let count = peerCount(e.room)
            rooms[e.room]?.peerCount = count
            let key = StreamName.room(e.room)
            if var call = history[key] {
                if !call.participants.contains(e.displayName) { call.participants.append(e.displayName) }
                // The projector reads the room's count after its own recount; no room row is NULL there.
                guard rooms[e.room] != nil else { throw Conflict(description: "a call without its room \(e.room)") }
                call.peakPeers = max(call.peakPeers, rooms[e.room]!.peerCount)
                history[key] = call
            }
        case .peerLeft(let e):
            peers[e.room]?[e.peerId] = nil
            let count = peerCount(e.room)
            rooms[e.room]?.peerCount = count
        case .roomEnded(let e):
            peers[e.room] = nil
            if var room = rooms[e.room] {
                room.live = false
                room.peerCount = 0
                room.endedAt = at
                room.endReason = e.reason.rawValue
                rooms[e.room] = room
            }
            if e.reason != .empty {
                let reason: TokenRevokeReason = e.reason == .closed ? .roomClosed : .expiredSweep
                for id in tokensByRoom[e.room] ?? [] where tokens[id]?.state == "issued" {
                    tokens[id]?.state = "revoked"
                    tokens[id]?.revokedReason = reason.rawValue
                    tokens[id]?.revokedAt = at
                }
            }
            let key = StreamName.room(e.room)
            if var call = history[key] {
                call.endedAt = at
                call.durationMs = e.durationMs
                call.outcome = call.peakPeers >= 2 ? "answered" : "unanswered"
                history[key] = call
            }
        case .tokenIssued(let e):
            guard tokens[e.tokenId] == nil, !tokenHashes.contains(e.tokenHash) else {
                throw Conflict(description: "token \(e.tokenId) issued twice")
            }
            tokens[e.tokenId] = Token(
                roomCode: e.room, tokenHash: e.tokenHash, role: e.role.rawValue, label: e.label, invitee: e.invitee, issuedAt: at,
                expiresAt: e.expiresAt
            )
            tokenHashes.insert(e.tokenHash)
            tokensByRoom[e.room, default: []].append(e.tokenId)
        case .tokenUsed(let e):
            if tokens[e.tokenId] != nil {
                tokens[e.tokenId]?.state = "used"
                tokens[e.tokenId]?.usedByPeer = e.peerId
                tokens[e.tokenId]?.usedAt = at
            }
            for id in outgoingByToken[e.tokenId] ?? [] where Self.open(outgoing[id]?.state) {
                outgoing[id]?.state = "answered"
                outgoing[id]?.updatedAt = at
            }
        case .tokenRevoked(let e):
            if tokens[e.tokenId] != nil {
                tokens[e.tokenId]?.state = "revoked"
                tokens[e.tokenId]?.revokedReason = e.reason.rawValue
                tokens[e.tokenId]?.revokedAt = at
            }
        case .inviteRequested(let e):
            guard outgoing[e.inviteId] == nil else { throw Conflict(description: "invite \(e.inviteId) requested twice") }
            outgoing[e.inviteId] = Outgoing(
                roomCode: e.room, contactPubkey: e.contactPubkey, transport: e.transport.rawValue, tokenId: e.tokenId, requestedAt: at,
                updatedAt: at
            )
            if let token = e.tokenId { outgoingByToken[token, default: []].append(e.inviteId) }
        case .inviteSent(let e):
            if var invite = outgoing[e.inviteId] {
                if invite.state == "pending" || invite.state == "failed" { invite.state = "sent" }
                invite.attempts = e.attempts
                invite.relaysOK = e.relays.filter(\.ok).count
                invite.lastError = nil
                invite.updatedAt = at
                outgoing[e.inviteId] = invite
            }
        case .inviteFailed(let e):
            if var invite = outgoing[e.inviteId] {
                if invite.state == "pending" { invite.state = "failed" }
                invite.attempts = e.attempts
                invite.lastError = e.reason
                invite.updatedAt = at
                outgoing[e.inviteId] = invite
            }
        case .inviteReceived(let e):
            bellUnread += 1
            bellPosition = position
            guard incoming[e.inviteId] == nil, !nostrEventIDs.contains(e.nostrEventId) else {
                throw Conflict(description: "invite \(e.inviteId) received twice")
            }
            incoming[e.inviteId] = Incoming(
                nostrEventId: e.nostrEventId, senderPubkey: e.senderPubkey, senderName: e.senderName, roomCode: e.room, joinURL: e.joinUrl,
                sentAt: e.sentAt, receivedAt: e.receivedAt, statusChangedAt: at, position: position
            )
            nostrEventIDs.insert(e.nostrEventId)
            try insertHistory(
                StreamName.invite(e.inviteId),
                History(
                    direction: "incoming", roomCode: e.room, counterpart: e.senderName, participants: [e.senderName], peakPeers: 0,
                    startedAt: e.receivedAt, outcome: "ringing", position: position
                )
            )
        case .inviteDismissed(let e):
            settleIncoming(e.inviteId, status: "dismissed", position: position, at: at)
        case .inviteAccepted(let e):
            settleIncoming(e.inviteId, status: "accepted", position: position, at: at)
        case .inviteDeclined(let e):
            settleIncoming(e.inviteId, status: "declined", position: position, at: at, alsoOutgoing: true)
        case .inviteCancelled(let e):
            if incoming[e.inviteId]?.status == "ringing" {
                bellPosition = position
                incoming[e.inviteId]?.status = "missed"
                incoming[e.inviteId]?.statusChangedAt = at
            }
            if Self.open(outgoing[e.inviteId]?.state) {
                outgoing[e.inviteId]?.state = "cancelled"
                outgoing[e.inviteId]?.updatedAt = at
            }
            let key = StreamName.invite(e.inviteId)
            if var call = history[key], call.outcome == "ringing" {
                call.outcome = "missed"
                call.endedAt = at
                call.durationMs = at - call.startedAt
                history[key] = call
            }
        case .unknown:
            break
        }
    }

    /// Dismissed, accepted or declined: the bell, the incoming call, (for a decline) an outgoing invite
    /// of the same id, and the call history, in the projectors' order.
    private mutating func settleIncoming(_ id: String, status: String, position: Int64, at: Int64, alsoOutgoing: Bool = false) {
        if let call = incoming[id] {
            if call.status == "ringing" || call.status == "missed" { bellUnread -= 1 }
            bellPosition = position
            incoming[id]?.status = status
            incoming[id]?.statusChangedAt = at
        }
        if alsoOutgoing, outgoing[id] != nil {
            outgoing[id]?.state = "declined"
            outgoing[id]?.updatedAt = at
        }
        let key = StreamName.invite(id)
        if var call = history[key] {
            call.outcome = status
            call.endedAt = at
            call.durationMs = at - call.startedAt
            history[key] = call
        }
    }

    private mutating func insertHistory(_ id: String, _ call: History) throws {
        guard history[id] == nil else { throw Conflict(description: "call \(id) started twice") }
        history[id] = call
    }

    private func peerCount(_ room: String) -> Int { peers[room]?.count ?? 0 }

    private static func open(_ state: String?) -> Bool { state == "pending" || state == "sent" || state == "failed" }

    // MARK: - Writing

    /// Writes every table, which must be empty, and the bell's one row.
    ///
    /// The tables' own indexes are dropped first and made again from their unchanged `CREATE INDEX`
    /// text once the rows are in: building an index over all rows at once is cheaper than keeping it
    /// up to date row by row. (The indexes behind UNIQUE constraints stay, since they cannot be dropped.)
    func write(into db: Database) throws {
        let tables = CallProjector.tables.map { "'\($0)'" }.joined(separator: ", ")
        let indexes = try Row.fetchAll(
            db,
            sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (\(tables)) ORDER BY name"
        ).map { (name: $0["name"] as String, sql: $0["sql"] as String) }
        for index in indexes { try db.execute(sql: "DROP INDEX \(index.name)") }
        try insertRows(into: db)
        for index in indexes { try db.execute(sql: index.sql) }
    }

    private func insertRows(into db: Database) throws {
        let roomInsert = try db.makeStatement(
            sql: """
                INSERT INTO rooms (code, host_name, max_peers, created_by, created_at, expires_at, state, peer_count, ended_at, end_reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        // In key order: each insert appends to the table's B-tree instead of splitting pages at random.
        for (code, room) in rooms.sorted(by: { $0.key < $1.key }) {
            try roomInsert.execute(arguments: [
                code, room.hostName, room.maxPeers, room.createdBy, room.createdAt, room.expiresAt, room.live ? "live" : "ended",
                room.peerCount, room.endedAt, room.endReason,
            ])
        }
        let peerInsert = try db.makeStatement(
            sql: "INSERT INTO room_peers (room_code, peer_id, display_name, token_id, joined_at) VALUES (?, ?, ?, ?, ?)"
        )
        for (room, members) in peers.sorted(by: { $0.key < $1.key }) {
            for (peerId, peer) in members.sorted(by: { $0.key < $1.key }) {
                try peerInsert.execute(arguments: [room, peerId, peer.displayName, peer.tokenId, peer.joinedAt])
            }
        }
        let tokenInsert = try db.makeStatement(
            sql: """
                INSERT INTO tokens (token_id, room_code, token_hash, role, label, invitee, issued_at, expires_at, state,
                    used_by_peer, used_at, revoked_reason, revoked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        for (id, token) in tokens.sorted(by: { $0.key < $1.key }) {
            try tokenInsert.execute(arguments: [
                id, token.roomCode, token.tokenHash, token.role, token.label, token.invitee, token.issuedAt, token.expiresAt, token.state,
                token.usedByPeer, token.usedAt, token.revokedReason, token.revokedAt,
            ])
        }
        let incomingInsert = try db.makeStatement(
            sql: """
                INSERT INTO incoming_calls (invite_id, nostr_event_id, sender_pubkey, sender_name, room_code, join_url,
                    sent_at, received_at, status, status_changed_at, position)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        for (id, call) in incoming.sorted(by: { $0.key < $1.key }) {
            try incomingInsert.execute(arguments: [
                id, call.nostrEventId, call.senderPubkey, call.senderName, call.roomCode, call.joinURL, call.sentAt, call.receivedAt,
                call.status, call.statusChangedAt, call.position,
            ])
        }
        let outgoingInsert = try db.makeStatement(
            sql: """
                INSERT INTO outgoing_invites (invite_id, room_code, contact_pubkey, transport, token_id, requested_at,
                    state, attempts, relays_ok, last_error, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        for (id, invite) in outgoing.sorted(by: { $0.key < $1.key }) {
            try outgoingInsert.execute(arguments: [
                id, invite.roomCode, invite.contactPubkey, invite.transport, invite.tokenId, invite.requestedAt, invite.state,
                invite.attempts, invite.relaysOK, invite.lastError, invite.updatedAt,
            ])
        }
        // SQLite writes the participants' JSON, as the projector's json_insert and json_array do.
        let historyInsert = try db.makeStatement(
            sql: """
                INSERT INTO call_history (call_id, direction, room_code, counterpart, participants, peak_peers,
                    started_at, ended_at, duration_ms, outcome, position)
                VALUES (?, ?, ?, ?, (SELECT json_group_array(value) FROM json_each(?)), ?, ?, ?, ?, ?, ?)
                """
        )
        let encoder = JSONEncoder()
        for (id, call) in history.sorted(by: { $0.key < $1.key }) {
            let names = String(decoding: try encoder.encode(call.participants), as: UTF8.self)
            try historyInsert.execute(arguments: [
                id, call.direction, call.roomCode, call.counterpart, names, call.peakPeers, call.startedAt, call.endedAt, call.durationMs,
                call.outcome, call.position,
            ])
        }
        try db.execute(sql: "UPDATE bell SET unread = ?, position = ? WHERE id = 1", arguments: [bellUnread, bellPosition])
    }
}
