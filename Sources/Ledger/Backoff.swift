/// How long to wait before trying again, after failures in a row: `base`, doubling with each
/// failure up to `cap`, spread by up to `jitter` of itself either way so that many waiters that failed
/// together (every invite to a relay that went down) do not all come back at once.
///
/// The one retry policy of the gateway: the ledger followers, the invite outbox, the relay
/// subscriber, answers and notification sends each hold one, with their own figures.
public struct Backoff: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration
    /// 0 for exact delays; 0.25 for delays anywhere from 75% to 125% of the doubled base.
    public var jitter: Double

    public init(base: Duration, cap: Duration, jitter: Double = 0) {
        self.base = base
        self.cap = max(base, cap)
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay after `failures` failures in a row (1 for the first). `random` is a number in -1...1
    /// that picks where in the jitter band the delay falls; it defaults to a fresh random one.
    public func delay(afterFailures failures: Int, random: Double = .random(in: -1...1)) -> Duration {
        var delay = base
        var doublings = max(failures, 1) - 1
        while doublings > 0, delay < cap {
            delay = delay * 2
            doublings -= 1
        }
        delay = min(delay, cap)
        let spread = jitter * min(max(random, -1), 1)
        return delay + delay * spread
    }

    /// `delay(afterFailures:random:)` in whole milliseconds, for schedules kept on the ledger's clock.
    public func delayMilliseconds(afterFailures failures: Int, random: Double = .random(in: -1...1)) -> Int64 {
        let (seconds, attoseconds) = delay(afterFailures: failures, random: random).components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Waits out the delay after `failures` failures on `clock` (tests pass a clock that moves only
    /// when told to). Throws `CancellationError` when the task is cancelled while waiting.
    public func wait<C: Clock>(afterFailures failures: Int, on clock: C) async throws where C.Duration == Duration {
        try await clock.sleep(for: delay(afterFailures: failures))
    }

    /// Waits out the delay after `failures` failures on the continuous clock.
    public func wait(afterFailures failures: Int) async throws {
        try await wait(afterFailures: failures, on: ContinuousClock())
    }
}
