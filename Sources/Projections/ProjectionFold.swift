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
/// invites. Where a projector's statement would fail (a second row with the same key),
/// the fold fails too, with `Conflict`, and the rebuild is refused as the projector's would be.
struct ProjectionFold {
    struct Conflict: Error, CustomStringConvertible {
        var description: String
    }

    struct Room {
        /// The ledger position of its `room.created`: the row's key.
        var position: Int64
        var code, hostName: String
        var maxPeers: Int
        var createdBy: String
        var createdAt, expiresAt: Int64
        var live = true
        var peerCount = 0
        var endedAt: Int64?
        var endReason: String?
        /// Display names in join order, distinct; the history's participants.
        var participants: [String] = []
        var peakPeers = 0
        var durationMs: Int64?
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
                position: position, code: e.code, hostName: e.hostName, maxPeers: e.maxPeers, createdBy: e.createdBy.rawValue,
                createdAt: at, expiresAt: e.expiresAt
            )
        case .peerJoined(let e):
            let count = try peers.modify(e.room, default: [:]) { members in
                guard members[e.peerId] == nil else { throw Conflict(description: "peer \(e.peerId) joined \(e.room) twice") }
                members[e.peerId] = Peer(displayName: e.displayName, tokenId: e.tokenId, joinedAt: at)
                return members.count
            }
            rooms.update(e.room) { room in
                room.peerCount = count
                room.peakPeers = max(room.peakPeers, count)
                if !room.participants.contains(e.displayName) { room.participants.append(e.displayName) }
            }
        case .peerLeft(let e):
            let count = peers.update(e.room) { members -> Int in
                members[e.peerId] = nil
                return members.count
            } ?? 0
            rooms.update(e.room) { $0.peerCount = count }
        case .roomEnded(let e):
            peers[e.room] = nil
            rooms.update(e.room) { room in
                room.live = false
                room.peerCount = 0
                room.endedAt = at
                room.endReason = e.reason.rawValue
                room.durationMs = e.durationMs
            }
            if e.reason != .empty {
                let reason: TokenRevokeReason = e.reason == .closed ? .roomClosed : .expiredSweep
                for id in tokensByRoom[e.room] ?? [] {
                    tokens.update(id) { token in
                        guard token.state == "issued" else { return }
                        token.state = "revoked"
                        token.revokedReason = reason.rawValue
                        token.revokedAt = at
                    }
                }
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
            tokens.update(e.tokenId) { token in
                token.state = "used"
                token.usedByPeer = e.peerId
                token.usedAt = at
            }
            if !outgoingByToken.isEmpty {
                for id in outgoingByToken[e.tokenId] ?? [] {
                    outgoing.update(id) { invite in
                        guard Self.open(invite.state) else { return }
                        invite.state = "answered"
                        invite.updatedAt = at
                    }
                }
            }
        case .tokenRevoked(let e):
            tokens.update(e.tokenId) { token in
                token.state = "revoked"
                token.revokedReason = e.reason.rawValue
                token.revokedAt = at
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
        case .inviteDismissed(let e):
            settleIncoming(e.inviteId, status: "dismissed", position: position, at: at)
        case .inviteAccepted(let e):
            settleIncoming(e.inviteId, status: "accepted", position: position, at: at)
        case .inviteDeclined(let e):
            settleIncoming(e.inviteId, status: "declined", position: position, at: at, alsoOutgoing: true)
        case .inviteCancelled(let e):
            let missed = incoming.update(e.inviteId) { call -> Bool in
                guard call.status == "ringing" else { return false }
                call.status = "missed"
                call.statusChangedAt = at
                return true
            }
            if missed == true { bellPosition = position }
            outgoing.update(e.inviteId) { invite in
                guard Self.open(invite.state) else { return }
                invite.state = "cancelled"
                invite.updatedAt = at
            }
        case .unknown:
            break
        }
    }

    /// Dismissed, accepted or declined: the bell, the incoming call and (for a decline) an outgoing
    /// invite of the same id, in the projectors' order.
    private mutating func settleIncoming(_ id: String, status: String, position: Int64, at: Int64, alsoOutgoing: Bool = false) {
        let unread = incoming.update(id) { call -> Bool in
            let unread = call.status == "ringing" || call.status == "missed"
            call.status = status
            call.statusChangedAt = at
            return unread
        }
        if let unread {
            if unread { bellUnread -= 1 }
            bellPosition = position
        }
        if alsoOutgoing {
            outgoing.update(id) { invite in
                invite.state = "declined"
                invite.updatedAt = at
            }
        }
    }

    private static func open(_ state: String?) -> Bool { state == "pending" || state == "sent" || state == "failed" }

    // MARK: - Writing

    /// Writes every table, which must be empty, and the bell's one row.
    ///
    /// The tables' own indexes are dropped first and made again from their unchanged `CREATE INDEX`
    /// text once the rows are in: building an index over all rows at once is cheaper than keeping it
    /// up to date row by row. That includes the unique ones (`tokens_by_hash`, `incoming_calls_by_nostr_event`),
    /// whose keys are hashes: inserted row by row they land at random places in the index. Only the
    /// primary keys stay, and the rows go in in their order.
    ///
    /// `order` is the rows' order from `writeOrder()`; a rebuild has its fold thread sort it while the
    /// rebuild's own thread clears the old rows.
    func write(into db: Database, order: WriteOrder? = nil) throws {
        let tables = CallProjector.tables.map { "'\($0)'" }.joined(separator: ", ")
        let indexes = try Row.fetchAll(
            db,
            sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (\(tables)) ORDER BY name"
        ).map { (name: $0["name"] as String, sql: $0["sql"] as String) }
        for index in indexes { try db.execute(sql: "DROP INDEX \(index.name)") }
        try insertRows(into: db, order: order ?? writeOrder())
        for index in indexes { try db.execute(sql: index.sql) }
    }

    /// Where each table's rows are in the fold, in the order they are written: key order, so that each
    /// insert appends to the table's B-tree instead of splitting pages at random. Rooms are keyed by
    /// ledger position, so they are listed in position order; the others by their key.
    ///
    /// The order holds the rows' dictionary indices, not their keys: the writing thread then reads each
    /// row without hashing and comparing its key again (a quarter of its own work when it looked each
    /// one up by key), and the sort moves indices rather than strings. The fold is not changed after its
    /// order is taken, so the indices stay valid.
    struct WriteOrder: Sendable {
        var rooms: [Dictionary<String, Room>.Index]
        var peerRooms: [String]
        var tokens: [Dictionary<String, Token>.Index]
        var incoming: [Dictionary<String, Incoming>.Index]
        var outgoing: [Dictionary<String, Outgoing>.Index]
    }

    func writeOrder() -> WriteOrder {
        let roomOrder = zip(rooms.indices, rooms.values).map { (position: $1.position, index: $0) }.sorted { $0.position < $1.position }
        return WriteOrder(
            rooms: roomOrder.map(\.index),
            peerRooms: peers.keys.sorted(),
            tokens: Self.keyOrder(tokens), incoming: Self.keyOrder(incoming), outgoing: Self.keyOrder(outgoing)
        )
    }

    /// The dictionary's indices in the order of their keys.
    private static func keyOrder<Value>(_ rows: [String: Value]) -> [Dictionary<String, Value>.Index] {
        zip(rows.indices, rows.keys).sorted { $0.1 < $1.1 }.map(\.0)
    }

    private func insertRows(into db: Database, order: WriteOrder) throws {
        var roomInsert = RoomInserter(db)
        for index in order.rooms {
            let (code, room) = rooms[index]
            try roomInsert.insert(code, room)
        }
        var peerInsert = try RowInserter(
            db,
            sql: "INSERT INTO room_peers (room_code, peer_id, display_name, token_id, joined_at) VALUES (?, ?, ?, ?, ?)"
        )
        for room in order.peerRooms {
            let members = peers[room]!
            for peerId in members.keys.sorted() {
                let peer = members[peerId]!
                peerInsert.bind(room)
                peerInsert.bind(peerId)
                peerInsert.bind(peer.displayName)
                peerInsert.bind(peer.tokenId)
                peerInsert.bind(peer.joinedAt)
                try peerInsert.step()
            }
        }
        var tokenInsert = try RowInserter(
            db,
            sql: """
                INSERT INTO tokens (token_id, room_code, token_hash, role, label, invitee, issued_at, expires_at, state,
                    used_by_peer, used_at, revoked_reason, revoked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        for index in order.tokens {
            let (id, token) = tokens[index]
            tokenInsert.bind(id)
            tokenInsert.bind(token.roomCode)
            tokenInsert.bind(StoredDigest(hex: token.tokenHash))
            tokenInsert.bind(token.role)
            tokenInsert.bind(token.label)
            tokenInsert.bind(token.invitee)
            tokenInsert.bind(token.issuedAt)
            tokenInsert.bind(token.expiresAt)
            tokenInsert.bind(token.state)
            tokenInsert.bind(token.usedByPeer)
            tokenInsert.bind(token.usedAt)
            tokenInsert.bind(token.revokedReason)
            tokenInsert.bind(token.revokedAt)
            try tokenInsert.step()
        }
        var incomingInsert = try RowInserter(
            db,
            sql: """
                INSERT INTO incoming_calls (invite_id, nostr_event_id, sender_pubkey, sender_name, room_code, join_url,
                    sent_at, received_at, status, status_changed_at, position)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        for index in order.incoming {
            let (id, call) = incoming[index]
            incomingInsert.bind(id)
            incomingInsert.bind(StoredDigest(hex: call.nostrEventId))
            incomingInsert.bind(call.senderPubkey)
            incomingInsert.bind(call.senderName)
            incomingInsert.bind(call.roomCode)
            incomingInsert.bind(call.joinURL)
            incomingInsert.bind(call.sentAt)
            incomingInsert.bind(call.receivedAt)
            incomingInsert.bind(call.status)
            incomingInsert.bind(call.statusChangedAt)
            incomingInsert.bind(call.position)
            try incomingInsert.step()
        }
        var outgoingInsert = try RowInserter(
            db,
            sql: """
                INSERT INTO outgoing_invites (invite_id, room_code, contact_pubkey, transport, token_id, requested_at,
                    state, attempts, relays_ok, last_error, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        for index in order.outgoing {
            let (id, invite) = outgoing[index]
            outgoingInsert.bind(id)
            outgoingInsert.bind(invite.roomCode)
            outgoingInsert.bind(invite.contactPubkey)
            outgoingInsert.bind(invite.transport)
            outgoingInsert.bind(invite.tokenId)
            outgoingInsert.bind(invite.requestedAt)
            outgoingInsert.bind(invite.state)
            outgoingInsert.bind(invite.attempts)
            outgoingInsert.bind(invite.relaysOK)
            outgoingInsert.bind(invite.lastError)
            outgoingInsert.bind(invite.updatedAt)
            try outgoingInsert.step()
        }
        try db.execute(sql: "UPDATE bell SET unread = ?, position = ? WHERE id = 1", arguments: [bellUnread, bellPosition])
    }

    /// Rows of `rooms`. SQLite writes the participants' JSON, as the projector's `json_insert` does: up
    /// to four names through `json_array` of bound names (one statement per count), more as an encoded
    /// array read back by `json_each`.
    private struct RoomInserter {
        private static let columns = """
            INSERT INTO rooms (position, code, host_name, max_peers, created_by, created_at, expires_at, state, peer_count,
                ended_at, end_reason, peak_peers, duration_ms, participants)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
            """
        private let db: Database
        private var byCount: [Int: RowInserter] = [:]
        private var encoded: RowInserter?

        init(_ db: Database) {
            self.db = db
        }

        mutating func insert(_ code: String, _ room: Room) throws {
            let names = room.participants
            if names.count <= 4 {
                var row = try byCount[names.count] ?? RowInserter(
                    db, sql: Self.columns + "json_array(" + names.map { _ in "?" }.joined(separator: ", ") + "))"
                )
                bindColumns(code, room, into: &row)
                for name in names { row.bind(name) }
                try row.step()
                byCount[names.count] = row
            } else {
                var row = try encoded ?? RowInserter(db, sql: Self.columns + "(SELECT json_group_array(value) FROM json_each(?)))")
                bindColumns(code, room, into: &row)
                row.bind(String(decoding: try JSONEncoder().encode(names), as: UTF8.self))
                try row.step()
                encoded = row
            }
        }

        private func bindColumns(_ code: String, _ room: Room, into row: inout RowInserter) {
            row.bind(room.position)
            row.bind(code)
            row.bind(room.hostName)
            row.bind(room.maxPeers)
            row.bind(room.createdBy)
            row.bind(room.createdAt)
            row.bind(room.expiresAt)
            row.bind(room.live ? "live" : "ended")
            row.bind(room.peerCount)
            row.bind(room.endedAt)
            row.bind(room.endReason)
            row.bind(room.peakPeers)
            row.bind(room.durationMs)
        }
    }
}

extension Dictionary {
    /// Runs `body` on the value for `key` in place, with one lookup, and returns its result; nil when
    /// there is no such key.
    @discardableResult
    fileprivate mutating func update<Result>(_ key: Key, _ body: (inout Value) throws -> Result) rethrows -> Result? {
        guard let index = index(forKey: key) else { return nil }
        return try body(&values[index])
    }

    /// Runs `body` on the value for `key` in place, inserting `value` first when there is none.
    fileprivate mutating func modify<Result>(
        _ key: Key,
        default value: @autoclosure () -> Value,
        _ body: (inout Value) throws -> Result
    ) rethrows -> Result {
        try body(&self[key, default: value()])
    }
}
