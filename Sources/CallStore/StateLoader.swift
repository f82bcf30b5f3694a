import Decisions
import GRDB
import Ledger
import Projections

/// Reads the state a decision needs, with the stream versions it was read at.
enum StateLoader {
    static func room(_ code: String, in db: Database) throws -> RoomState? {
        guard let room = try Queries.room(code, in: db) else { return nil }
        return RoomState(
            room: room,
            peers: try Queries.peers(in: code, db: db),
            version: try EventStore.version(of: StreamName.room(code), in: db)
        )
    }

    static func token(hash: String, in db: Database) throws -> Versioned<TokenRecord>? {
        guard let token = try Queries.token(hash: hash, in: db) else { return nil }
        return Versioned(token, version: try EventStore.version(of: StreamName.token(token.tokenId), in: db))
    }

    static func token(id: String, in db: Database) throws -> Versioned<TokenRecord>? {
        guard let token = try Queries.token(id: id, in: db) else { return nil }
        return Versioned(token, version: try EventStore.version(of: StreamName.token(id), in: db))
    }

    static func tokens(room: String, in db: Database) throws -> [Versioned<TokenRecord>] {
        try Queries.tokens(room: room, in: db).map {
            Versioned($0, version: try EventStore.version(of: StreamName.token($0.tokenId), in: db))
        }
    }

    static func outgoing(_ id: String, in db: Database) throws -> Versioned<OutgoingInviteRecord>? {
        guard let invite = try Queries.outgoingInvite(id: id, in: db) else { return nil }
        return Versioned(invite, version: try EventStore.version(of: StreamName.invite(id), in: db))
    }

    static func outgoing(room: String, in db: Database) throws -> [Versioned<OutgoingInviteRecord>] {
        try Queries.outgoingInvites(room: room, in: db).map {
            Versioned($0, version: try EventStore.version(of: StreamName.invite($0.inviteId), in: db))
        }
    }

    static func incoming(_ id: String, in db: Database) throws -> Versioned<IncomingCallRecord>? {
        guard let call = try Queries.incomingCall(id: id, in: db) else { return nil }
        return Versioned(call, version: try EventStore.version(of: StreamName.invite(id), in: db))
    }
}
