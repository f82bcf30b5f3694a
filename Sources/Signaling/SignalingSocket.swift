/// Where the hub's messages for one open socket go, in the order the hub sends them. The endpoint's
/// `ChannelSocket` writes them onto the connection; the hub's tests use a plain queue.
public protocol SignalingSocket: Sendable {
    /// Sends one message, or says that the socket is too far behind (the hub then aborts it).
    func send(_ text: String) -> SocketSendOutcome

    /// Closes the socket with `code` after the messages sent before. The first close wins; nothing
    /// sent afterwards goes out.
    func close(code: UInt16, reason: String)

    /// The socket's handler has ended: whatever is sent afterwards is dropped.
    func finish()

    /// Closes the connection at once, without a close frame: for a peer that stopped reading, whose
    /// close frame would never get through.
    func abort()

    /// Called about once a second: pings the peer when nothing was heard from it for `interval`
    /// milliseconds, and says `silent` when nothing was heard for `interval` after that ping either.
    func keepAlive(now: Int64, interval: Int64) -> KeepAlive
}

public enum KeepAlive: Sendable, Equatable {
    case alive
    case silent
}

public enum SocketSendOutcome: Sendable, Equatable {
    case sent
    /// Too many messages are still waiting for the peer to read them.
    case tooSlow
    /// The socket is closing or gone; the message was dropped.
    case closed
}
