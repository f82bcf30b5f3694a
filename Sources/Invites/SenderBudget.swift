import CrowSecurity

/// How many invites each contact may ring the owner with: a token bucket per sender key. A contact, or
/// a leaked contact key, could otherwise ring hundreds of times a second, each ring a ledger append, a
/// toast and a push. Pure; the caller passes the time and holds it under a lock.
public struct SenderBudget: Sendable {
    /// Invites per second each sender earns back.
    public let rate: Double
    /// Invites a sender may send at once.
    public let burst: Double
    /// Senders tracked at most; past it the table starts over (it holds contacts, who are few).
    public let capacity: Int
    private var buckets: [String: RateBucket] = [:]

    public init(rate: Double = 0.1, burst: Double = 6, capacity: Int = 1024) {
        self.rate = rate
        self.burst = burst
        self.capacity = max(1, capacity)
    }

    /// Takes one invite from `sender`'s budget if there is one.
    public mutating func take(_ sender: String, now: Int64) -> Bool {
        if buckets[sender] == nil, buckets.count >= capacity { buckets.removeAll(keepingCapacity: true) }
        var bucket = buckets[sender] ?? RateBucket(rate: rate, burst: burst, now: now)
        let taken = bucket.take(now: now)
        buckets[sender] = bucket
        return taken
    }
}
