import CrowSecurity

/// The message rate of one signaling socket: every frame, text or binary, takes a token from a bucket
/// (`messagesPerSecond`, burst `messageBurst`). A frame over the rate is refused with a warning and
/// counts a strike; strikes drain at `strikeDecayPerSecond`, and a socket that piles up more than
/// `strikes` is closed. So an occasional burst in a long call is forgiven, and a sustained flood is not.
/// Pure: the caller passes the time.
public struct MessageRateLimiter: Sendable {
    public enum Verdict: Equatable, Sendable {
        case accept
        /// Over the rate: drop the frame and tell the sender to slow down.
        case slowDown
        /// Too many strikes: close the socket (1008).
        case close
    }

    private var messages: RateBucket
    private var strikes: RateBucket

    public init(limits: AbuseGuard.Limits, now: Int64) {
        messages = RateBucket(rate: limits.messagesPerSecond, burst: limits.messageBurst, now: now)
        strikes = RateBucket(rate: limits.strikeDecayPerSecond, burst: Double(limits.strikes), now: now)
    }

    public mutating func frame(now: Int64) -> Verdict {
        if messages.take(now: now) { return .accept }
        return strikes.take(now: now) ? .slowDown : .close
    }
}
