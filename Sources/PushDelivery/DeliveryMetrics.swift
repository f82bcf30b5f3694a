/// What notification delivery reports. The gateway's Prometheus registry implements it.
public protocol DeliveryMetrics: Sendable {
    /// One send (`channel`: webpush, ntfy) and how it ended (`result`: delivered, gone, failed).
    func notification(channel: String, result: String)
}
