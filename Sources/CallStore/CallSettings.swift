/// Rules of the calls domain that the operator configures (docs/CONFIGURATION.md).
public struct CallSettings: Sendable {
    /// `CROW_CALLS_MAX_PEERS`: the most participants any room may have.
    public var peerLimit: Int
    /// How long a token stays valid, in milliseconds (24 h).
    public var tokenTTL: Int64
    /// How long a room stays open at most, in milliseconds (24 h).
    public var roomTTL: Int64
    /// How long an incoming call rings before it counts as missed, in milliseconds (60 s).
    public var ringWindow: Int64
    /// Unix milliseconds.
    public var clock: @Sendable () -> Int64

    public init(
        peerLimit: Int = 4,
        tokenTTL: Int64 = 86_400_000,
        roomTTL: Int64 = 86_400_000,
        ringWindow: Int64 = 60_000,
        clock: @escaping @Sendable () -> Int64
    ) {
        self.peerLimit = peerLimit
        self.tokenTTL = tokenTTL
        self.roomTTL = roomTTL
        self.ringWindow = ringWindow
        self.clock = clock
    }
}
