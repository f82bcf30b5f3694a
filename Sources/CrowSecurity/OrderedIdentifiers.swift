import TextCoding

/// Identifiers that sort by the time they were made: 16 lowercase hex characters, the first 11 the
/// unix time in milliseconds (good until the year 2527), the last 5 a counter.
///
/// Why: the ledger keys rows by these ids (a token's row and stream; an invite's row, stream and, for a
/// received one, history entry). Random keys put each new row on a page of its own somewhere in the middle of its
/// B-tree, so a transaction of many appends writes one page per row to the write-ahead log; keys that
/// grow with time all land on the last page, which the whole transaction shares
/// (docs/BENCHMARKS.md). The ids are public identifiers, not secrets: what they tell beyond a random
/// id is when the token or call was made, to the millisecond, which its own events carry anyway.
///
/// The counter starts at a random value (below half its range) in each new millisecond and counts
/// up, so ids from one generator never repeat and always increase, even when the clock goes back or
/// more than half a million ids are drawn in one millisecond (the time part then runs ahead of the
/// clock until the clock catches up). Two processes drawing in the same millisecond collide only if
/// their random starts come within each other's count: at the gateway's rates, never in practice.
public struct OrderedIdentifiers: Sendable {
    /// The largest time the 11 hex digits hold.
    static let maxMilliseconds: Int64 = (1 << 44) - 1
    static let counterLimit: UInt32 = 1 << 20

    private var milliseconds: Int64 = -1
    private var counter: UInt32 = 0

    public init() {}

    /// The next identifier, at unix time `now` (milliseconds), with `random` as the counter's start
    /// should this be a new millisecond (only its low 19 bits are used).
    public mutating func next(now: Int64, random: UInt32) -> String {
        let clock = min(max(now, 0), Self.maxMilliseconds)
        if clock > milliseconds {
            milliseconds = clock
            counter = random & (Self.counterLimit / 2 - 1)
        } else if counter + 1 < Self.counterLimit {
            counter += 1
        } else {
            // The counter is spent within this millisecond: borrow the next one.
            milliseconds = min(milliseconds + 1, Self.maxMilliseconds)
            counter = random & (Self.counterLimit / 2 - 1)
        }
        return Self.text(milliseconds: milliseconds, counter: counter)
    }

    static func text(milliseconds: Int64, counter: UInt32) -> String {
        let value = UInt64(milliseconds) << 20 | UInt64(counter)
        return withUnsafeBytes(of: value.bigEndian) { Hex.encode($0) }
    }
}
