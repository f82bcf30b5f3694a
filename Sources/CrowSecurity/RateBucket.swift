/// A token bucket: `rate` tokens per second, holding at most `burst`. Pure; the caller passes the time.
public struct RateBucket: Sendable, Hashable {
    public let rate: Double
    public let burst: Double
    private var tokens: Double
    private var last: Int64

    public init(rate: Double, burst: Double, now: Int64) {
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.last = now
    }

    /// Takes one token if there is one.
    public mutating func take(now: Int64) -> Bool {
        let elapsed = Double(max(0, now - last)) / 1000
        last = max(last, now)
        tokens = min(burst, tokens + elapsed * rate)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
