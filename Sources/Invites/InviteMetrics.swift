/// What the invite path reports: the inbox's work and verdicts, and the relay subscriptions. The
/// gateway's Prometheus registry implements it.
public protocol InviteMetrics: Sendable {
    /// An event the inbox began to verify and decrypt (the work its budget bounds).
    func nostrWork()
    /// A Nostr event the inbox took (`label`: what it carried) or dropped (`label`: why).
    func nostrEvent(accepted: Bool, label: String)
    /// The gateway's relays, and how many of them it is subscribed on now.
    func relays(configured: Int, connected: Int)
}
