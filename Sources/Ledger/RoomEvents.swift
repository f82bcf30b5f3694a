/// Who asked for a room.
public enum RoomCreator: String, Codable, Sendable, CaseIterable {
    case panel, api, mcp, cli
}

/// Why a room ended.
public enum RoomEndReason: String, Codable, Sendable, CaseIterable {
    /// The last participant left and the grace period passed.
    case empty
    /// The owner closed it.
    case closed
    /// It outlived its expiry.
    case expired
}

/// `room.created` on `room-<code>`.
public struct RoomCreated: EventPayload {
    public static let eventType = "room.created"
    public var code: String
    public var hostName: String
    public var maxPeers: Int
    public var createdBy: RoomCreator
    /// Unix milliseconds.
    public var expiresAt: Int64

    public init(code: String, hostName: String, maxPeers: Int, createdBy: RoomCreator, expiresAt: Int64) {
        self.code = code
        self.hostName = hostName
        self.maxPeers = maxPeers
        self.createdBy = createdBy
        self.expiresAt = expiresAt
    }
}

/// `room.ended` on `room-<code>`.
public struct RoomEnded: EventPayload {
    public static let eventType = "room.ended"
    public var room: String
    public var reason: RoomEndReason
    /// From creation to end, in milliseconds.
    public var durationMs: Int64

    public init(room: String, reason: RoomEndReason, durationMs: Int64) {
        self.room = room
        self.reason = reason
        self.durationMs = durationMs
    }
}

/// Why a participant left.
public enum LeaveReason: String, Codable, Sendable, CaseIterable {
    case hangup, disconnect, timeout, kicked, shutdown, restart
}

/// `peer.joined` on `room-<code>`.
public struct PeerJoined: EventPayload {
    public static let eventType = "peer.joined"
    public var room: String
    public var peerId: String
    public var displayName: String
    public var tokenId: String

    public init(room: String, peerId: String, displayName: String, tokenId: String) {
        self.room = room
        self.peerId = peerId
        self.displayName = displayName
        self.tokenId = tokenId
    }
}

/// `peer.left` on `room-<code>`.
public struct PeerLeft: EventPayload {
    public static let eventType = "peer.left"
    public var room: String
    public var peerId: String
    public var reason: LeaveReason

    public init(room: String, peerId: String, reason: LeaveReason) {
        self.room = room
        self.peerId = peerId
        self.reason = reason
    }
}
