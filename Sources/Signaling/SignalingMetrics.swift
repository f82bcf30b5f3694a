/// What the hub reports about sockets and relayed messages. The gateway's Prometheus registry
/// implements it; the hub knows nothing of how the figures are kept or exposed.
public protocol SignalingMetrics: Sendable {
    func connectionOpened()
    func connectionClosed()
    /// A signaling message delivered to a peer.
    func relayedMessage()
    /// A socket closed because its peer stopped reading.
    func slowSocketClosed()
    /// A command's append to the ledger finished; `start` is when the command began.
    func observeAppend(since start: ContinuousClock.Instant)
}
