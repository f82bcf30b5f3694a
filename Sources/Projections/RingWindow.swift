/// The one rule for "still ringing". An incoming call rings from the moment we received it
/// (`receivedAt`, by our clock) until `receivedAt + length`, that instant excluded, unless someone
/// acted on it first (its stored status is no longer `ringing`).
///
/// Every reader goes through here: a record's clock-aware status, the `ringing` query, the times at
/// which the live stream sends `expired`, a ringing call's `expiresAt` and how long the bell's answer
/// is kept. So the bell, the stream, the push and the Calls panel agree on the millisecond.
///
/// The times come from the ledger, which may have been copied from another machine or edited by
/// hand, so no arithmetic here can trap: sums and differences saturate, and the query bound is
/// exact even at the ends of `Int64`.
public struct RingWindow: Sendable, Hashable {
    /// Milliseconds a call rings.
    public var length: Int64

    public init(_ length: Int64) {
        self.length = length
    }

    /// The instant a call received at `receivedAt` stops ringing: `receivedAt + length`, saturated
    /// to the range of `Int64`.
    public func expiry(receivedAt: Int64) -> Int64 {
        let (sum, overflow) = receivedAt.addingReportingOverflow(length)
        guard overflow else { return sum }
        return length > 0 ? .max : .min
    }

    /// Whether a call received at `receivedAt` still rings at `now`, by the clock alone.
    public func rings(receivedAt: Int64, now: Int64) -> Bool {
        now < expiry(receivedAt: receivedAt)
    }

    /// Whether a call whose stored status is `status` still rings at `now`.
    public func rings(_ status: IncomingCallStatus, receivedAt: Int64, now: Int64) -> Bool {
        status == .ringing && rings(receivedAt: receivedAt, now: now)
    }

    /// The status with the clock applied: a ringing call nobody answered in time is `missed`.
    public func status(_ stored: IncomingCallStatus, receivedAt: Int64, now: Int64) -> IncomingCallStatus {
        stored == .ringing && !rings(receivedAt: receivedAt, now: now) ? .missed : stored
    }

    /// The earliest `receivedAt` of a call that still rings at `now`, for a query
    /// (`received_at >= ?`); nil when no call can ring at `now`. A call rings by the clock exactly
    /// when its `receivedAt` is at least this.
    public func earliestRinging(now: Int64) -> Int64? {
        // now < receivedAt + length  <=>  receivedAt >= now - length + 1 (saturated as in `expiry`).
        if length >= 0 && now == .max { return nil }
        let (difference, overflow) = now.subtractingReportingOverflow(length)
        if overflow { return length > 0 ? .min : nil }
        let (bound, past) = difference.addingReportingOverflow(1)
        return past ? nil : bound
    }

    /// The first instant at which one of the calls received at `times` stops ringing, or `Int64.max`
    /// when there are none: until then, a list of the ringing calls read now stays true by the clock.
    public func firstExpiry(receivedAt times: some Sequence<Int64>) -> Int64 {
        times.reduce(Int64.max) { Swift.min($0, expiry(receivedAt: $1)) }
    }
}
