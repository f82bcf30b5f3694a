public import Projections

/// A read-model row together with the version of the stream it was read at, so the events a decision
/// returns are appended only if nothing changed in between.
public struct Versioned<Value: Sendable & Hashable>: Sendable, Hashable {
    public var value: Value
    public var version: Int

    public init(_ value: Value, version: Int) {
        self.value = value
        self.version = version
    }
}

/// A room as decisions see it.
public struct RoomState: Sendable, Hashable {
    public var room: RoomRecord
    public var peers: [RoomPeerRecord]
    public var version: Int

    public init(room: RoomRecord, peers: [RoomPeerRecord], version: Int) {
        self.room = room
        self.peers = peers
        self.version = version
    }
}

/// A new token, drawn by the caller: decisions hold no randomness.
public struct NewToken: Sendable, Hashable {
    public var id: String
    /// Lowercase hex SHA-256 of the secret.
    public var hash: String

    public init(id: String, hash: String) {
        self.id = id
        self.hash = hash
    }
}
